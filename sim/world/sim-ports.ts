// The firmware's ports for one boot of the simulated device.
import type {
  Clock, HardwareWatchdog, LinkInfo, Log, LogLevel, MqttSession, Ports, ProbeResult, ProbeTarget, Prober, Uplinks,
} from "../../src/ports";
import { PROBE_BYTES_IN, PROBE_BYTES_OUT } from "../../src/health/probe-cost";
import type { BootContext } from "./boot-context";
import type { Rng } from "./random";
import type { SimBroker } from "./sim-broker";
import type { SimLink } from "./sim-link";
import type { SimStore } from "./sim-store";
import type { SimTraffic } from "./sim-traffic";
import { WALL_START_MS } from "./virtual-clock";

/**
 * What a port may touch of the simulated world. The world builds the ports on each boot, so the
 * ports see it through this view rather than importing the world back.
 */
export interface PortWorld {
  readonly links: readonly SimLink[];
  readonly broker: SimBroker;
  readonly store: SimStore;
  readonly traffic: SimTraffic;
  link(name: string): SimLink;
  onCarrier(ctx: BootContext, fn: (link: string, up: boolean) => void): void;
  setDefaultRoute(name: string): void;
  resetLink(name: string): void;
  /** A probe went out over `link`; `echo`: an ICMP echo (no socket of its own). */
  probeStarted(link: string, echo: boolean): void;
  probeEnded(link: string, echo: boolean): void;
  hwArm(ms: number): void;
  hwFeed(): void;
  requestReboot(reason: string): void;
  /** The MQTT session this boot gets. */
  sessionFor(ctx: BootContext): MqttSession;
}

/** Bytes on the wire per probe: [request, reply], the firmware's own table (src/health/probe-cost.ts). */
export const PROBE_BYTES: Record<ProbeTarget["kind"], [number, number]> = {
  icmp: [PROBE_BYTES_OUT.icmp, PROBE_BYTES_IN.icmp],
  tcp: [PROBE_BYTES_OUT.tcp, PROBE_BYTES_IN.tcp],
  dns: [PROBE_BYTES_OUT.dns, PROBE_BYTES_IN.dns],
  http: [PROBE_BYTES_OUT.http, PROBE_BYTES_IN.http],
};

function clockFor(ctx: BootContext): Clock {
  const c = ctx.clock;
  return {
    now: () => c.now(),
    once: (ms, fn) => c.after(ms, () => ctx.deliver(fn)),
    // A hung loop misses periodic ticks instead of running them all late.
    every: (ms, fn) => c.after(ms, () => { if (ctx.alive && !ctx.frozen) fn(); }, ms),
    cancel: (h) => c.cancel(h as ReturnType<typeof c.after>),
    wallMs: () => WALL_START_MS + c.now(),
  };
}

/**
 * Probes over the simulated links. `done` is called exactly once, at the latest after `timeoutMs`;
 * a reply later than that is a timeout at `timeoutMs`. A probe is lost when the path does not
 * forward at send time or at reply time, or by the link's loss draw; ICMP limits apply to icmp
 * probes only, blocked resolvers to dns probes only. Every probe draws the same amount from the
 * link's own stream whatever happens; fault processes draw from their own forked streams.
 */
export function proberFor(ctx: BootContext, world: PortWorld): Prober {
  return {
    probe(linkName: string, target: ProbeTarget, timeoutMs: number, done: (r: ProbeResult) => void): void {
      const link = world.link(linkName);
      const c = ctx.clock;
      const echo = target.kind === "icmp";
      const answer = (r: ProbeResult) => { world.probeEnded(linkName, echo); ctx.deliver(() => done(r)); };
      world.probeStarted(linkName, echo);
      link.probes++;
      const [reqBytes, replyBytes] = PROBE_BYTES[target.kind];
      // Draw the same amount of randomness per probe whatever happens, so runs stay comparable.
      const lossDraw = link.rng.next();
      const samples = [link.sampleRtt()];
      if (target.kind === "http") samples.push(link.sampleRtt()); // handshake, then the request
      let rtt = target.kind === "http" ? samples[0] + samples[1] : samples[0];
      if (link.stall) { world.probeEnded(linkName, echo); return; }
      if (!link.carrier) {
        c.after(1, () => answer({ ok: false, rttMs: 0, reason: "unreachable" }));
        return;
      }
      link.probeBytes += reqBytes;
      world.traffic.sent(linkName, reqBytes);
      // A directional trace carries the exchange leg by leg (held through silences, delayed per row).
      const trace = link.directionalTrace();
      let pathLost: boolean;
      if (trace) {
        const x = link.exchange(trace, samples);
        rtt = x.rttMs;
        pathLost = Number.isNaN(rtt) || !link.forwardsBesidesTrace() || lossDraw < link.lossWith(x.loss);
      } else pathLost = !link.forwards() || lossDraw < link.lossNow();
      let lost = pathLost || link.targetDead(target.host)
        || (target.kind === "dns" && link.dnsBlocked(target.host));
      if (target.kind === "icmp" && !lost) {
        const icmp = link.icmp(c.now());
        lost = icmp.drop;
        rtt += icmp.extraMs;
      }
      const timeout = () => answer({ ok: false, rttMs: 0, reason: "timeout" });
      if (lost || rtt > timeoutMs) {
        c.after(timeoutMs, timeout);
        return;
      }
      c.after(rtt, () => {
        if (!(trace ? link.forwardsBesidesTrace() : link.forwards())) return void c.after(timeoutMs - rtt, timeout);
        link.probeBytes += replyBytes;
        world.traffic.received(linkName, replyBytes);
        answer({ ok: true, rttMs: rtt });
      });
    },
  };
}

function uplinksFor(ctx: BootContext, world: PortWorld): Uplinks {
  const infos: LinkInfo[] = world.links.map((l) => ({ name: l.name, kind: l.kind }));
  return {
    list: () => infos,
    carrier: (name) => world.link(name).carrier,
    onCarrier: (fn) => world.onCarrier(ctx, fn),
    setDefault: (name) => world.setDefaultRoute(name),
    reset: (name) => world.resetLink(name),
  };
}

export function portsFor(ctx: BootContext, world: PortWorld, rng: Rng, log: (level: LogLevel, msg: string) => void,
  fresh: () => number = () => rng.next()): Ports {
  const watchdog: HardwareWatchdog = {
    arm: (ms) => world.hwArm(ms),
    feed: () => world.hwFeed(),
    reboot: (reason) => world.requestReboot(reason),
    // The simulator does not model the device heap; the XS meter in npm run bench does.
    heapUsed: () => 0,
  };
  const logPort: Log = { log };
  return {
    clock: clockFor(ctx),
    random: { next: () => rng.next(), fresh },
    prober: proberFor(ctx, world),
    uplinks: uplinksFor(ctx, world),
    mqtt: world.sessionFor(ctx),
    store: world.store,
    watchdog,
    log: logPort,
    traffic: { read: (link, into) => world.traffic.read(link, into) },
  };
}
