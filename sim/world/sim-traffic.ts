// The users behind the router: packets their flows receive over the default route, and what each
// uplink's interface counters show (users' packets plus the probes'), as an lwIP netif counts them.
//
// Downstream packets leave the far end as a Poisson process whose rate follows a daily profile;
// each one crosses the link that is the default route when it leaves, is lost where the link cuts
// or drops it, and arrives one-way delay later (bufferbloat included), so a blackhole stops arrivals,
// a slow path delays them and loss thins them. Users keep sending whatever comes back (retries,
// new connections), so upstream packets go on under a cut. Randomness comes from its own stream,
// so adding traffic to a scenario does not change what its probes draw.
//
// The flows are ACK-clocked (TCP, QUIC): the far end sends only while it hears from the users.
// Where the two directions can differ (a directional trace), a far end that has heard nothing for
// an RTT and CLOCK_SLACK_MS stops sending, so an uplink that stalls stops the downlink's arrivals
// too, as it does for a real download; on a symmetric link a packet that comes down means the
// path also goes up, and the far end counts as having heard.
import type { TrafficCounters } from "../../src/ports";
import type { Rng } from "./random";
import type { SimLink } from "./sim-link";

export type TrafficProfile = "idle" | "busy" | "mixed";

export interface TrafficSpec {
  profile: TrafficProfile;
  /** Downstream packets per second at the busy rate (default 40). */
  rxPps?: number;
  /** Hour of day the scenario starts at (default 12): the mixed profile's night is 23:00-07:00. */
  startHour?: number;
}

/** Average packet sizes on the wire: downstream data, upstream requests and acknowledgements. */
const RX_BYTES = 900, TX_BYTES = 100;
/** Upstream packets per downstream one. */
const TX_PER_RX = 0.5;
/** How long past an RTT a far end without acknowledgements goes on sending (cwnd drained, first RTO). */
const CLOCK_SLACK_MS = 200;
/** The mixed profile's night: background chatter only. */
const NIGHT_PPS = 0.3;
const HOUR = 3600000;

interface Meter extends TrafficCounters {
  /** Arrival times of packets in flight towards the router. */
  inFlight: number[];
  /** Arrival times at the far end of users' packets still on the uplink (directional traces). */
  upFlight: number[];
  /** When the far end last heard from the users (-1: never). */
  heardAt: number;
}

export class SimTraffic {
  readonly spec: TrafficSpec;
  #meters = new Map<string, Meter>();
  #rng: Rng;
  #route: () => SimLink | null;
  #after: (ms: number, fn: () => void) => void;
  #now: () => number;

  constructor(o: { spec?: TrafficSpec; rng: Rng; now: () => number; after: (ms: number, fn: () => void) => void; route: () => SimLink | null }) {
    this.spec = o.spec ?? { profile: "idle" };
    this.#rng = o.rng;
    this.#now = o.now;
    this.#after = o.after;
    this.#route = o.route;
    if (this.spec.profile !== "idle") this.#after(this.#nextDelay(0), () => this.#depart());
  }

  /** Users' downstream packets per second at `t` (virtual ms since the start). */
  rateAt(t: number): number {
    const busy = this.spec.rxPps ?? 40;
    if (this.spec.profile === "idle") return 0;
    if (this.spec.profile === "busy") return busy;
    const hour = ((this.spec.startHour ?? 12) + t / HOUR) % 24;
    if (hour >= 23 || hour < 7) return NIGHT_PPS;
    return hour >= 19 ? busy * 1.5 : busy;
  }

  read(link: string, into: TrafficCounters): boolean {
    const m = this.#meter(link);
    const now = this.#now();
    const f = m.inFlight;
    let kept = 0;
    for (let i = 0; i < f.length; i++) {
      const at = f[i];
      if (at <= now) {
        m.rxPackets++;
        m.rxBytes += RX_BYTES;
        if (at > m.lastRxAt) m.lastRxAt = at;
      } else f[kept++] = at;
    }
    f.length = kept;
    into.rxPackets = m.rxPackets;
    into.rxBytes = m.rxBytes;
    into.txPackets = m.txPackets;
    into.txBytes = m.txBytes;
    into.lastRxAt = m.lastRxAt;
    return true;
  }

  /** A probe left over `link` (its bytes are counted like any other packet). */
  sent(link: string, bytes: number): void {
    const m = this.#meter(link);
    m.txPackets++;
    m.txBytes += bytes;
  }

  /** A probe's reply arrived over `link`. */
  received(link: string, bytes: number): void {
    const m = this.#meter(link);
    this.read(link, m); // settle earlier arrivals first so lastRxAt stays ordered
    m.rxPackets++;
    m.rxBytes += bytes;
    m.lastRxAt = this.#now();
  }

  #meter(link: string): Meter {
    let m = this.#meters.get(link);
    if (!m) {
      m = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, lastRxAt: -1, inFlight: [], upFlight: [], heardAt: -1 };
      this.#meters.set(link, m);
    }
    return m;
  }

  /** The far end heard from the users within `windowMs` before `now`. */
  #heard(m: Meter, now: number, windowMs: number): boolean {
    const f = m.upFlight;
    let kept = 0;
    for (let i = 0; i < f.length; i++) {
      const at = f[i];
      if (at <= now) {
        if (at > m.heardAt) m.heardAt = at;
      } else f[kept++] = at;
    }
    f.length = kept;
    return m.heardAt >= 0 && now - m.heardAt <= windowMs;
  }

  #nextDelay(t: number): number {
    const rate = this.rateAt(t);
    if (rate <= 0) return HOUR - (t % HOUR) + 1;
    return Math.max(0.01, this.#rng.exp(1000 / rate));
  }

  #depart(): void {
    const now = this.#now();
    const link = this.#route();
    // The same draws whatever happens to this packet, so runs stay comparable.
    const lossDraw = this.#rng.next(), txDraw = this.#rng.next(), jitter = this.#rng.next();
    if (link && this.rateAt(now) > 0) {
      const m = this.#meter(link.name);
      const trace = link.directionalTrace();
      if (txDraw < TX_PER_RX) {
        m.txPackets++;
        m.txBytes += TX_BYTES;
        // txDraw / TX_PER_RX is uniform again: this packet's own loss draw on the uplink.
        if (trace) {
          const far = link.upstream(trace, txDraw / TX_PER_RX);
          if (!Number.isNaN(far)) m.upFlight.push(far);
        }
      }
      if (trace) {
        // Held through a silence and delivered late, or lost, per direction (see SimLink.downstream);
        // sent at all only while the far end hears the users' acknowledgements.
        if (this.#heard(m, now, link.rttMs + CLOCK_SLACK_MS)) {
          const at = link.downstream(trace, lossDraw, link.jitterMs * -Math.log(1 - jitter) / 2);
          if (!Number.isNaN(at)) m.inFlight.push(at);
        }
      } else if (link.forwards() && lossDraw >= link.lossNow()) {
        const oneWay = link.rttMs / 2 + link.jitterMs * -Math.log(1 - jitter) / 2;
        m.inFlight.push(now + oneWay);
        m.heardAt = now;
      }
    }
    this.#after(this.#nextDelay(now), () => this.#depart());
  }
}
