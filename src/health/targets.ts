// Which target a probe goes to. Baseline probes go to the cheapest live target kind (liveness);
// every other target is asked once per serviceIntervalMs (every dnsRecheckMs, only resolvers,
// while a resolver is failing), so a link's probe bytes are mostly minimal ICMP echoes. Fast
// probes rotate over the live targets. A target that keeps missing while the link answers is set
// aside as dead (its own fault, not the link's) and retried every deadTargetRetryMs; so is every
// echo or connect target at once when all of that kind keep missing while another kind answers
// (an ISP that filters ICMP). Resolvers are never set aside by kind: every resolver failing while
// the path answers is what DNS health (quality.ts) is there to see; but a resolver whose host
// does not answer an echo either is a dead target (its echo companion asks, probe-outcome.ts).
import type { ProbeKind, ProbeTarget } from "../ports";
import type { DeviceConfig } from "../config/config";
import { PROBE_COST } from "./probe-cost";

export interface TargetStatus {
  target: ProbeTarget;
  /** This target's bit in a set of targets (a probe silence's evidence). */
  bit: number;
  misses: number;
  /** When the current run of misses began. */
  missedSince: number;
  /** When it last answered as its own kind (not an echo sent in its place). */
  answeredAt: number;
  dead: boolean;
  retryAt: number;
  /** A resolver's companion: an echo to its host, asked when a query goes unanswered. */
  echo?: TargetStatus;
  /** On such an echo: the resolver it checks. */
  echoOf?: TargetStatus;
}

/** Why a service round is wanted sooner (null: none is). */
export type RoundDoubt = "dns" | "dearer" | null;

function status(target: ProbeTarget, bit: number): TargetStatus {
  return { target, bit, misses: 0, missedSince: 0, answeredAt: -1, dead: false, retryAt: 0 };
}

export class TargetSet {
  readonly list: readonly TargetStatus[];
  #p: DeviceConfig["probe"];
  #rr = 0;
  #fastRr = 0;
  #serviceRr = 0;
  #serviceAt = 0;

  constructor(targets: readonly ProbeTarget[], probe: DeviceConfig["probe"]) {
    this.#p = probe;
    this.list = targets.map((target, i) => status(target, 1 << i));
    // One echo per resolver, made once: it is no probe target (no bit), only a question about one.
    for (const t of this.list) {
      if (t.target.kind !== "dns") continue;
      t.echo = status({ kind: "icmp", host: t.target.host }, 0);
      t.echo.echoOf = t;
    }
  }

  /** A resolver whose host answers nothing at all is a dead target, not a DNS fault: retried later. */
  setAside(t: TargetStatus, now: number): void {
    t.dead = true;
    t.retryAt = now + this.#p.deadTargetRetryMs;
  }

  get deadCount(): number {
    let n = 0;
    for (const t of this.list) if (t.dead) n++;
    return n;
  }

  has(kind: ProbeKind): boolean {
    for (const t of this.list) if (t.target.kind === kind) return true;
    return false;
  }

  /**
   * The next baseline probe's target: a dead target due for its retry, else a service round's
   * target when one is due, else the next cheapest live one. A round in `doubt` comes every
   * dnsRecheckMs instead: "dns" asks only resolvers (one failed), "dearer" every kind dearer than
   * the cheapest (the cheapest one's loss is to be checked against theirs).
   */
  baseline(now: number, doubt: RoundDoubt = null): TargetStatus {
    const p = this.#p;
    const ts = this.list;
    for (const t of ts) {
      if (t.dead && t.retryAt <= now) {
        t.retryAt = now + p.deadTargetRetryMs;
        return t;
      }
    }
    const cheap = this.#cheapestLiveCost();
    const dnsOnly = doubt === "dns";
    if (now >= this.#serviceAt) {
      let services = 0;
      for (const t of ts) if (!t.dead && (dnsOnly ? t.target.kind === "dns" : PROBE_COST[t.target.kind] > cheap)) services++;
      for (let i = 0; i < ts.length && services > 0; i++) {
        const t = ts[(this.#serviceRr + i) % ts.length];
        if (t.dead || (dnsOnly ? t.target.kind !== "dns" : PROBE_COST[t.target.kind] <= cheap)) continue;
        this.#serviceRr = (ts.indexOf(t) + 1) % ts.length;
        this.#serviceAt = now + (doubt !== null ? p.dnsRecheckMs : p.serviceIntervalMs / services);
        return t;
      }
    }
    for (let i = 0; i < ts.length; i++) {
      const t = ts[(this.#rr + i) % ts.length];
      if (t.dead || PROBE_COST[t.target.kind] > cheap) continue;
      this.#rr = (this.#rr + i + 1) % ts.length;
      return t;
    }
    const t = this.#nextLive(this.#rr);
    this.#rr = (ts.indexOf(t) + 1) % ts.length;
    return t;
  }

  /** The next fast probe's target: the live targets in turn. */
  fast(): TargetStatus {
    const t = this.#nextLive(this.#fastRr);
    this.#fastRr = (this.list.indexOf(t) + 1) % this.list.length;
    return t;
  }

  /** The next live ICMP target in the same turn (null when there is none): an echo needs no socket. */
  fastEcho(): TargetStatus | null {
    const ts = this.list;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[(this.#fastRr + i) % ts.length];
      if (t.dead || t.target.kind !== "icmp") continue;
      this.#fastRr = (i + this.#fastRr + 1) % ts.length;
      return t;
    }
    return null;
  }

  /** It answered (`asItself`: as its own kind): whatever it missed before, it is alive. */
  answered(t: TargetStatus, now: number, asItself: boolean): void {
    t.misses = 0;
    t.dead = false;
    if (asItself) t.answeredAt = now;
  }

  missed(t: TargetStatus, now: number): void {
    if (t.misses++ === 0) t.missedSince = now;
  }

  /** A resolver failed, or the cheapest kind's loss is in doubt: the next service round comes by `at` at the latest. */
  serviceBy(at: number): void {
    if (this.#serviceAt > at) this.#serviceAt = at;
  }

  /**
   * The link answers, so targets that keep missing are dead themselves: one whose kindmate answers,
   * or, but for resolvers, all of a kind once another kind answered while every one of them missed.
   */
  setAsideDead(now: number): void {
    const p = this.#p;
    for (const t of this.list) {
      if (t.dead || t.misses < p.deadTargetMisses) continue;
      let kindmateAnswers = false;
      for (const o of this.list) if (o !== t && o.target.kind === t.target.kind && o.misses === 0) kindmateAnswers = true;
      if (!kindmateAnswers && (t.target.kind === "dns" || !this.#kindFiltered(t.target.kind))) continue;
      this.setAside(t, now);
    }
  }

  /** Every live target of `kind` keeps missing, and a target of another kind answered since they all began to. */
  #kindFiltered(kind: ProbeKind): boolean {
    const need = this.#p.deadTargetMisses;
    let allMissingSince = -Infinity;
    for (const o of this.list) {
      if (o.target.kind !== kind || o.dead) continue;
      if (o.misses < need) return false;
      if (o.missedSince > allMissingSince) allMissingSince = o.missedSince;
    }
    for (const o of this.list) {
      if (o.target.kind !== kind && !o.dead && o.misses === 0 && o.answeredAt > allMissingSince) return true;
    }
    return false;
  }

  /** The targets in `bits` span enough of them: two where more than one is live, else one. */
  spans(bits: number): boolean {
    let distinct = 0, live = 0;
    for (const t of this.list) {
      if (!t.dead) live++;
      if (bits & t.bit) distinct++;
    }
    return distinct >= (live > 1 ? 2 : 1);
  }

  /** How many targets `bits` holds. */
  count(bits: number): number {
    let n = 0;
    for (const t of this.list) if (bits & t.bit) n++;
    return n;
  }

  /** A live target of a kind dearer than the cheapest live one (something to check the cheapest against). */
  get hasDearer(): boolean {
    const cheap = this.#cheapestLiveCost();
    for (const t of this.list) if (!t.dead && PROBE_COST[t.target.kind] > cheap) return true;
    return false;
  }

  /** Bytes of the cheapest probe a live target takes. */
  #cheapestLiveCost(): number {
    let min = Infinity;
    for (const t of this.list) {
      const c = PROBE_COST[t.target.kind];
      if (!t.dead && c < min) min = c;
    }
    return min;
  }

  #nextLive(from: number): TargetStatus {
    const ts = this.list;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[(from + i) % ts.length];
      if (!t.dead) return t;
    }
    return ts[from % ts.length];
  }
}
