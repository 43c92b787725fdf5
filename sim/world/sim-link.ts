// One simulated uplink: its nominal path figures and the faults currently applied to it.
//
// Faults are kept as a list of separate effects, one per applied fault, so that several can overlap
// on one link and each can end on its own (durationMs) undoing only what it did. What a packet sees
// is derived from that list when it is sent. Processes (Gilbert-Elliott burst loss, trace replay)
// advance lazily when someone looks at the link, not on timers.
import type { LinkKind } from "../../src/ports";
import type { Rng } from "./random";
import { DOWN, UP, type TraceCursor } from "./trace-timeline";

export interface LinkSpec {
  name: string;
  kind: LinkKind;
  priority: number;
  rttMs: number;
  jitterMs: number;
  loss: number;
  /** How long a reset (modem re-attach, dish boot, PHY renegotiation) keeps the link down, ms. */
  resetMs?: number;
}

/** A device config with the links' priorities filled in: a scenario's link list is device config too. */
export function withLinkPriorities(config: Record<string, unknown>, links: readonly { name: string; priority: number }[]): Record<string, unknown> {
  const given = (config.links ?? {}) as Record<string, Record<string, unknown>>;
  const merged: Record<string, unknown> = {};
  for (const l of links) merged[l.name] = { priority: l.priority, ...given[l.name] };
  return { ...config, links: { ...given, ...merged } };
}

/** Ground truth for scoring: one fault episode on a link, recorded as it happens. */
export interface Episode {
  /** The fault kind for a fault's application; `gap`, `burst`, `flap-down`, `trace-loss` for the parts of a process. */
  kind: string;
  startMs: number;
  /** When it ended (by itself, by durationMs, by a reset or by restore); null while open. */
  endMs: number | null;
  /** Nothing gets through while it lasts. */
  cuts: boolean;
}

/** Told about episodes that start or end inside the link (lazily advanced processes). */
export interface EpisodeListener {
  cut(link: SimLink, atMs: number): void;
  ended?(link: SimLink, atMs: number): void;
}

interface EffectBase { episode: Episode; /** Counts for `faulty`. */ marks: boolean }
export type Effect = EffectBase & (
  | { kind: "carrier-down" | "blackhole" | "wedge" | "stall" }
  | { kind: "loss"; rate: number }
  | { kind: "latency"; rttMs: number; jitterMs?: number }
  | { kind: "dns-fail"; hosts: ReadonlySet<string> | null }
  | { kind: "target-down"; host: string }
  | { kind: "flap"; blackhole: boolean; down: boolean; downEpisode: Episode | null }
  | { kind: "gaps"; gap: Episode | null }
  | { kind: "bufferbloat"; startMs: number; peakMs: number; rampMs: number; drainMs: number; loadEndMs: number | null }
  | { kind: "icmp-limit"; rate: number; perSecond: number; extraMs: number; rng: Rng; tokens: number; refilledAt: number }
  | { kind: "burst-loss"; goodMs: number; goodLoss: number | null; badLoss: number; badMs: number;
      badMinMs: number | null; badMaxMs: number | null; rng: Rng; bad: boolean; untilMs: number; burst: Episode | null }
  | { kind: "trace"; startMs: number; cursor: TraceCursor; run: Episode | null;
      /** Per-direction figures or a buffer: packets go through exchange()/downstream(), not the round-trip draw. */
      directional: boolean }
);

/** Bound on the episode list: far above a day of 8 bursts a minute plus gaps; the oldest go first. */
export const MAX_EPISODES = 200_000;

export class SimLink {
  readonly name: string;
  readonly kind: LinkKind;
  /** Modem power-cycle in progress (the world's reset), and until when. */
  resetting = false;
  resetUntil = 0;
  /** Ground truth for scoring: every episode on this link, in start order. Read it via `episodes`. */
  #episodes: Episode[] = [];
  #effects: Effect[] = [];
  #manualFaulty = false;
  /** Where fault processes take their randomness: forked, never drawn from, so it only depends on the seed. */
  readonly faultRng: Rng;
  /** The simulated time (the world sets it to its clock). */
  now: () => number = () => 0;
  listener: EpisodeListener | null = null;
  probeBytes = 0;
  probes = 0;

  constructor(readonly spec: LinkSpec, readonly rng: Rng) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.faultRng = rng.fork("faults");
  }

  // ---- effects -------------------------------------------------------------------------------

  get effects(): readonly Effect[] { return this.#effects; }

  /** Start a fault's effect; its episode is recorded (cutting ones told to the listener by the caller). */
  addEffect<E extends Effect>(e: E): E {
    this.#effects.push(e);
    this.record(e.episode);
    return e;
  }

  /** End one effect (it ended on its own, by durationMs, or by a reset): undoes only that effect. */
  endEffect(e: Effect, atMs = this.now()): void {
    const i = this.#effects.indexOf(e);
    if (i < 0) return;
    this.advance(atMs);
    this.#effects.splice(i, 1);
    this.#closeParts(e, atMs, true);
    this.close(e.episode, atMs);
  }

  has(e: Effect): boolean { return this.#effects.includes(e); }

  /** Record an episode (bounded memory: the oldest are dropped past MAX_EPISODES). */
  record(ep: Episode): void {
    if (this.#episodes.length >= MAX_EPISODES) this.#episodes.splice(0, MAX_EPISODES / 10);
    this.#episodes.push(ep);
  }

  /** Close an open episode, telling the listener if it was a cutting one. */
  close(ep: Episode | null, atMs: number, tell = true): void {
    if (!ep || ep.endMs !== null) return;
    ep.endMs = atMs;
    if (tell && ep.cuts) this.listener?.ended?.(this, atMs);
  }

  /** A cutting episode started (maybe in the past, for lazily advanced processes). */
  opened(ep: Episode): void {
    this.record(ep);
    if (ep.cuts) this.listener?.cut(this, ep.startMs);
  }

  #closeParts(e: Effect, atMs: number, tell: boolean): void {
    if (e.kind === "flap") this.close(e.downEpisode, atMs, tell);
    else if (e.kind === "gaps") this.close(e.gap, atMs, tell);
    else if (e.kind === "burst-loss") this.close(e.burst, atMs, tell);
    else if (e.kind === "trace") this.close(e.run, atMs, tell);
  }

  /** Every fault's episode as it happened; lazily advanced processes are brought up to now first. */
  get episodes(): Episode[] {
    this.advance(this.now());
    return this.#episodes;
  }

  // ---- lazily advanced processes ---------------------------------------------------------------

  /** Bring Gilbert-Elliott states and trace runs up to `now`, recording the episodes passed. */
  advance(now: number): void {
    for (const e of this.#effects) {
      if (e.kind === "burst-loss") this.#advanceBurst(e, now);
      else if (e.kind === "trace") this.#advanceTrace(e, now);
    }
  }

  #advanceBurst(e: Effect & { kind: "burst-loss" }, now: number): void {
    while (e.untilMs <= now) {
      const at = e.untilMs;
      e.bad = !e.bad;
      if (e.bad) {
        const d = e.badMinMs !== null && e.badMaxMs !== null
          ? e.badMinMs + e.rng.next() * (e.badMaxMs - e.badMinMs)
          : e.rng.exp(e.badMs);
        e.untilMs = at + Math.max(1, d);
        e.burst = { kind: "burst", startMs: at, endMs: null, cuts: e.badLoss >= 1 };
        this.opened(e.burst);
      } else {
        this.close(e.burst, at);
        e.burst = null;
        e.untilMs = at + Math.max(1, e.rng.exp(e.goodMs));
      }
    }
  }

  #advanceTrace(e: Effect & { kind: "trace" }, now: number): void {
    const c = e.cursor;
    const off = c.options.offsetMs;
    const real = (t: number) => Math.max(e.startMs, t - off + e.startMs);
    const t = now - e.startMs + off;
    c.outages(t, (a) => {
      e.run = { kind: "trace-loss", startMs: real(a), endMs: null, cuts: true };
      this.opened(e.run);
    }, (b) => {
      this.close(e.run, real(b));
      e.run = null;
    });
    c.trim(t);
  }

  /** The trace row in force at `now` (a window index of the effect's cursor), or -1. */
  #traceRow(e: Effect & { kind: "trace" }, now: number): number {
    return e.cursor.row(now - e.startMs + e.cursor.options.offsetMs);
  }

  // ---- what a packet sees --------------------------------------------------------------------

  #any(pred: (e: Effect) => boolean): boolean {
    for (const e of this.#effects) if (pred(e)) return true;
    return false;
  }

  get cableOut(): boolean { return this.#any((e) => e.kind === "carrier-down"); }
  get flapDown(): boolean { return this.#any((e) => e.kind === "flap" && e.down && !e.blackhole); }

  get carrier(): boolean {
    return !this.resetting && !this.#any((e) => e.kind === "carrier-down" || (e.kind === "flap" && e.down && !e.blackhole));
  }

  /** A blackhole (or a blackhole-mode flap's down period) is in force. Setting it by hand adds or clears one. */
  get blackhole(): boolean {
    return this.#any((e) => e.kind === "blackhole" || (e.kind === "flap" && e.down && e.blackhole));
  }
  set blackhole(on: boolean) {
    if (on) {
      if (!this.blackhole) this.addEffect({ kind: "blackhole", marks: false, episode: { kind: "blackhole", startMs: this.now(), endMs: null, cuts: true } });
    } else for (const e of [...this.#effects]) if (e.kind === "blackhole") this.endEffect(e);
  }

  /** A modem that stopped forwarding until it is reset. Setting false (a reset) ends every wedge. */
  get wedged(): boolean { return this.#any((e) => e.kind === "wedge"); }
  set wedged(on: boolean) {
    if (on) {
      if (!this.wedged) this.addEffect({ kind: "wedge", marks: true, episode: { kind: "wedge", startMs: this.now(), endMs: null, cuts: true } });
    } else for (const e of [...this.#effects]) if (e.kind === "wedge") this.endEffect(e);
  }

  /** The prober swallows probes on this link and never answers (a platform bug). */
  get stall(): boolean { return this.#any((e) => e.kind === "stall"); }

  get dnsFail(): boolean { return this.#any((e) => e.kind === "dns-fail"); }

  /** DNS queries to this resolver get no answer on this link. */
  dnsBlocked(host: string): boolean {
    return this.#any((e) => e.kind === "dns-fail" && (e.hosts === null || e.hosts.has(host)));
  }

  /** One probe target is dead (seen over this link). */
  targetDead(host: string): boolean {
    return this.#any((e) => e.kind === "target-down" && e.host === host);
  }

  get deadTargets(): Set<string> {
    const s = new Set<string>();
    for (const e of this.#effects) if (e.kind === "target-down") s.add(e.host);
    return s;
  }

  /** Ground truth for scoring: a fault (other than a dead target) is in force. */
  get faulty(): boolean { return this.#manualFaulty || this.#any((e) => e.marks); }
  set faulty(on: boolean) { this.#manualFaulty = on; }

  /** Packets get through in both directions as far as the hard cuts go (the MQTT session's TCP path). */
  get passes(): boolean {
    return this.carrier && !this.blackhole && !this.wedged;
  }

  /** Would a packet sent now get through at all? (No hard cut, no gap, not in a total-loss state or a trace's silence.) */
  forwards(): boolean {
    return this.#forwards(true);
  }

  /** As forwards(), leaving out trace silences (a directional trace holds or drops packets itself). */
  forwardsBesidesTrace(): boolean {
    return this.#forwards(false);
  }

  #forwards(traces: boolean): boolean {
    if (!this.passes) return false;
    const now = this.now();
    this.advance(now);
    for (const e of this.#effects) {
      if (e.kind === "gaps" && e.gap) return false;
      if (e.kind === "burst-loss" && e.bad && e.badLoss >= 1) return false;
      if (e.kind === "trace" && traces && e.run) return false;
    }
    return true;
  }

  /** Base figures now: the last trace row, else the last latency/loss fault, else nominal. */
  #base(now: number): { rtt: number; jitter: number; loss: number; ge: number; keepBase: boolean } {
    let rtt = this.spec.rttMs, jitter = this.spec.jitterMs, loss = this.spec.loss;
    // Gilbert-Elliott: the highest state loss of the burst processes in force (-1: none); keepBase
    // when one is in its good state with no goodLoss of its own (the link's own loss applies).
    let ge = -1, keepBase = false;
    let traced = false;
    for (const e of this.#effects) {
      if (e.kind === "latency" && !traced) {
        rtt = e.rttMs;
        if (e.jitterMs !== undefined) jitter = e.jitterMs;
      } else if (e.kind === "loss" && !traced) loss = e.rate;
      else if (e.kind === "trace") {
        const row = this.#traceRow(e, now);
        if (row < 0) continue;
        traced = true;
        // A figure not measured in that row is the link's own.
        const c = e.cursor, s = this.spec;
        rtt = orElse(c.delayUp(row), s.rttMs / 2) + orElse(c.delayDown(row), s.rttMs / 2);
        loss = e.directional
          ? both(orElse(c.randomLoss(c.lossUp(row)), oneWay(s.loss)), orElse(c.randomLoss(c.lossDown(row)), oneWay(s.loss)))
          : orElse(c.randomLoss(c.lossUp(row)), s.loss);
        jitter = orElse(c.jitter(row), s.jitterMs);
      } else if (e.kind === "burst-loss") {
        // A Gilbert-Elliott state's loss replaces the base loss (good state: goodLoss, or the base).
        if (e.bad) ge = Math.max(ge, e.badLoss);
        else if (e.goodLoss !== null) ge = Math.max(ge, e.goodLoss);
        else keepBase = true;
      }
    }
    return { rtt, jitter, loss, ge, keepBase };
  }

  /** Loss probability for a packet sent now (independent per packet, on top of the cuts). */
  lossNow(): number {
    const now = this.now();
    this.advance(now);
    const b = this.#base(now);
    return b.ge < 0 ? b.loss : b.keepBase ? Math.max(b.ge, b.loss) : b.ge;
  }

  /** lossNow with `loss` as the base loss (a directional trace's figure for one exchange). */
  lossWith(loss: number): number {
    const b = this.#base(this.now());
    return b.ge < 0 ? loss : b.keepBase ? Math.max(b.ge, loss) : b.ge;
  }

  // ---- directional traces ----------------------------------------------------------------------

  /** The trace effect that sets the figures now when it is directional (the last one in force), else null. */
  directionalTrace(): (Effect & { kind: "trace" }) | null {
    const now = this.now();
    this.advance(now);
    let found: (Effect & { kind: "trace" }) | null = null;
    for (const e of this.#effects) if (e.kind === "trace" && this.#traceRow(e, now) >= 0) found = e;
    return found && found.directional ? found : null;
  }

  /** One direction's figures at trace time `t` (a row, or the link's own past the trace's end). */
  #leg(c: TraceCursor, dir: typeof UP | typeof DOWN, t: number): { delay: number; loss: number } {
    const s = this.spec;
    const i = c.row(t);
    if (i < 0) return { delay: s.rttMs / 2, loss: oneWay(s.loss) };
    return dir === UP
      ? { delay: orElse(c.delayUp(i), s.rttMs / 2), loss: orElse(c.randomLoss(c.lossUp(i)), oneWay(s.loss)) }
      : { delay: orElse(c.delayDown(i), s.rttMs / 2), loss: orElse(c.randomLoss(c.lossDown(i)), oneWay(s.loss)) };
  }

  /**
   * An exchange sent now through a directional trace: out on the uplink, back on the downlink, each
   * way held through a silence (or lost to it) and delayed by its row. `samples` are the round-trip
   * samples the prober drew (sampleRtt: the figures now plus jitter and bufferbloat): their part
   * above the figures now is added, half each way. Returns the round trip (NaN: lost to a silence)
   * and the independent loss share of the legs' rows, for the caller's one loss draw.
   */
  exchange(e: Effect & { kind: "trace" }, samples: readonly number[]): { rttMs: number; loss: number } {
    const c = e.cursor;
    const t0 = this.now() - e.startMs + c.options.offsetMs;
    const base = this.#base(this.now()).rtt;
    let t = t0, kept = 1;
    for (const sample of samples) {
      const extra = Math.max(0, sample - base) / 2;
      const out = c.depart(UP, t);
      if (Number.isNaN(out)) return { rttMs: NaN, loss: 0 };
      const up = this.#leg(c, UP, out);
      const back = c.depart(DOWN, out + up.delay + extra);
      if (Number.isNaN(back)) return { rttMs: NaN, loss: 0 };
      const down = this.#leg(c, DOWN, back);
      t = back + down.delay + extra;
      kept *= (1 - up.loss) * (1 - down.loss);
    }
    return { rttMs: t - t0, loss: 1 - kept };
  }

  /**
   * A users' packet leaving the far end now towards the router through a directional trace: when
   * it arrives (ms of simulated time), or NaN when lost. `jitterMs` is its share of jitter.
   */
  downstream(e: Effect & { kind: "trace" }, lossDraw: number, jitterMs: number): number {
    return this.#oneWay(e, DOWN, lossDraw) + jitterMs;
  }

  /**
   * A users' packet going out now through a directional trace: it takes its place in the uplink's
   * buffer. When it reaches the far end (ms of simulated time), or NaN when lost.
   */
  upstream(e: Effect & { kind: "trace" }, lossDraw: number): number {
    return this.#oneWay(e, UP, lossDraw);
  }

  /** A packet sent now one way through a directional trace: when it gets there, or NaN when lost. */
  #oneWay(e: Effect & { kind: "trace" }, dir: typeof UP | typeof DOWN, lossDraw: number): number {
    const c = e.cursor;
    const t0 = this.now() - e.startMs + c.options.offsetMs;
    const out = c.depart(dir, t0);
    if (Number.isNaN(out) || !this.forwardsBesidesTrace()) return NaN;
    const leg = this.#leg(c, dir, out);
    if (lossDraw < this.lossWith(leg.loss)) return NaN;
    return this.now() + (out - t0) + leg.delay;
  }

  /** The round-trip figures a packet sent now sees: base RTT (+ bufferbloat) and jitter mean. */
  get rttMs(): number { return this.#base(this.now()).rtt + this.bloatMs(this.now()); }
  get jitterMs(): number { return this.#base(this.now()).jitter; }
  /** The loss rate in force (nominal, a loss fault or a trace row; Gilbert-Elliott aside). */
  get loss(): number { return this.#base(this.now()).loss; }

  /** RTT added by bufferbloat for a packet sent at `t`. */
  bloatMs(t: number): number {
    let add = 0;
    for (const e of this.#effects) if (e.kind === "bufferbloat") add += bloatAt(e, t);
    return add;
  }

  /** ICMP treatment now: dropped by a rate limit or policer, and the extra delay. Draws only from the faults' own streams. */
  icmp(now: number): { drop: boolean; extraMs: number } {
    let drop = false, extraMs = 0;
    for (const e of this.#effects) {
      if (e.kind !== "icmp-limit") continue;
      extraMs += e.extraMs;
      if (e.rate > 0 && e.rng.next() < e.rate) drop = true;
      if (e.perSecond > 0) {
        const cap = Math.max(1, e.perSecond);
        e.tokens = Math.min(cap, e.tokens + (now - e.refilledAt) * e.perSecond / 1000);
        e.refilledAt = now;
        if (e.tokens >= 1) { if (!drop) e.tokens -= 1; } else drop = true;
      }
    }
    return { drop, extraMs };
  }

  /** Clear every fault on the link (restore): episodes close, the listener hears of it as `restored`. */
  restore(): void {
    const now = this.now();
    this.advance(now);
    for (const e of this.#effects) {
      this.#closeParts(e, now, false);
      this.close(e.episode, now, false);
    }
    this.#effects = [];
    this.#manualFaulty = false;
  }

  /** One sample of round-trip time for a packet exchange sent now. */
  sampleRtt(): number {
    const now = this.now();
    const b = this.#base(now);
    return b.rtt + this.bloatMs(now) + this.rng.exp(b.jitter);
  }
}

/** `v`, or `otherwise` where it is NaN (not measured). */
function orElse(v: number, otherwise: number): number {
  return Number.isNaN(v) ? otherwise : v;
}

/** The one-way loss that gives round-trip loss `rt` over two independent legs. */
function oneWay(rt: number): number {
  return rt <= 0 ? 0 : 1 - Math.sqrt(1 - rt);
}

/** Round-trip loss over two legs. */
function both(up: number, down: number): number {
  return 1 - (1 - up) * (1 - down);
}

/** Bufferbloat: ramps linearly to peakMs over rampMs while loaded, then drains at peakMs per drainMs. */
export function bloatAt(e: { startMs: number; peakMs: number; rampMs: number; drainMs: number; loadEndMs: number | null }, t: number): number {
  if (t < e.startMs) return 0;
  const fill = (x: number) => e.peakMs * Math.min(1, (x - e.startMs) / Math.max(1, e.rampMs));
  if (e.loadEndMs === null || t <= e.loadEndMs) return fill(t);
  return Math.max(0, fill(e.loadEndMs) - (t - e.loadEndMs) * e.peakMs / Math.max(1, e.drainMs));
}
