// Probing of one uplink. Slow while replies arrive (one probe per interval, targets in turn), fast
// the moment one is missed: rounds to several targets at once with RTT-derived timeouts, and the
// link is declared silent only when no target answers for `confirmRounds` rounds. Any reply proves
// the path forwards packets, so one dead target cannot fail a healthy link; a target that keeps
// missing while others answer is set aside and retried now and then.
import type { Clock, Prober, ProbeResult, ProbeTarget } from "../ports";
import type { DeviceConfig } from "../config/config";
import { PathEstimator } from "./estimator";
import { nextLinkState, type LinkFacts, type LinkState, type LinkStateLimits, type QualityIssue, type Step } from "./link-state";
import type { SocketBudget } from "./socket-budget";

export type LinkRole = "active" | "standby";

interface TargetStatus {
  target: ProbeTarget;
  misses: number;
  dead: boolean;
  retryAt: number;
}

interface Slot {
  busy: boolean;
  token: number;
  startedAt: number;
  timeoutMs: number;
  target: TargetStatus | null;
  inRound: boolean;
}

export interface LinkMonitorOptions {
  link: string;
  cfg: DeviceConfig;
  clock: Clock;
  prober: Prober;
  budget: SocketBudget;
  carrier: boolean;
  /** What an earlier monitor of this link knew (a config change rebuilds the monitors). */
  seed?: { state: LinkState; since: number };
  onStep: (monitor: LinkMonitor, from: LinkState, step: Step) => void;
}

export class LinkMonitor {
  readonly link: string;
  #o: LinkMonitorOptions;
  #limits: LinkStateLimits;
  #est: PathEstimator;
  #targets: TargetStatus[];
  #slots: Slot[] = [];
  #state: LinkState = "unknown";
  #since = 0;
  #role: LinkRole = "standby";
  #carrier: boolean;
  #timer: unknown = null;
  #nextAt = 0;
  #rr = 0;
  #suspect = false;
  #failedRounds = 0;
  #roundPending = 0;
  #roundReplies = 0;
  #silent = false;
  #okStreak = 0;
  #lastIssueAt = -Infinity;
  #stopped = false;
  /** Probes the platform answered (the supervisor watches this move). */
  completed = 0;

  constructor(o: LinkMonitorOptions) {
    this.#o = o;
    this.link = o.link;
    this.#carrier = o.carrier;
    this.#est = new PathEstimator(o.cfg.health.lossWindow);
    this.#targets = o.cfg.targets.map((target) => ({ target, misses: 0, dead: false, retryAt: 0 }));
    for (let i = 0; i < o.cfg.probe.maxInFlight; i++) {
      this.#slots.push({ busy: false, token: 0, startedAt: 0, timeoutMs: 0, target: null, inRound: false });
    }
    this.#since = o.clock.now();
    if (o.seed && o.carrier) {
      this.#state = o.seed.state;
      this.#since = o.seed.since;
    }
    this.#limits = { upSuccesses: o.cfg.probe.upSuccesses, recoverMs: o.cfg.health.recoverMs };
  }

  get state(): LinkState { return this.#state; }
  /** Time of the last state change. */
  get since(): number { return this.#since; }
  get role(): LinkRole { return this.#role; }
  get carrier(): boolean { return this.#carrier; }
  get srttMs(): number { return this.#est.srttMs; }
  get jitterMs(): number { return this.#est.jitterMs; }
  get lossPct(): number { return this.#est.lossPct; }
  get deadTargets(): number {
    let n = 0;
    for (const t of this.#targets) if (t.dead) n++;
    return n;
  }

  start(): void {
    if (this.#carrier) this.#schedule(0);
    else this.#evaluate();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTimer();
    this.#abandonAll();
  }

  setRole(role: LinkRole): void {
    if (role === this.#role) return;
    this.#role = role;
    // Becoming active must not wait out a long standby interval.
    const due = this.#o.clock.now() + this.#interval();
    if (this.#timer !== null && this.#nextAt > due) this.#schedule(this.#interval());
  }

  setCarrier(up: boolean): void {
    if (up === this.#carrier) return;
    this.#carrier = up;
    this.#okStreak = 0;
    if (!up) {
      this.#cancelTimer();
      this.#abandonAll();
      this.#suspect = false;
      this.#evaluate();
    } else {
      this.#schedule(0);
    }
  }

  /** Watchdog escalation: look again now, with every target, instead of waiting for the interval. */
  reprobe(): void {
    if (!this.#carrier || this.#stopped) return;
    if (!this.#suspect) this.#startSuspect();
  }

  /** Abandon probes the platform never answered; returns how many. */
  abandonStuck(now: number, graceMs: number): number {
    let n = 0;
    for (const s of this.#slots) {
      if (s.busy && now - s.startedAt > s.timeoutMs + graceMs) {
        n++;
        this.#finish(s, s.token, STUCK);
      }
    }
    return n;
  }

  #interval(): number {
    const p = this.#o.cfg.probe;
    if (this.#state === "down") return p.downIntervalMs;
    return this.#role === "active" ? p.intervalMs : p.standbyIntervalMs;
  }

  #schedule(delay: number): void {
    this.#cancelTimer();
    this.#nextAt = this.#o.clock.now() + delay;
    this.#timer = this.#o.clock.once(delay, () => {
      this.#timer = null;
      this.#tick();
    });
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#o.clock.cancel(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    if (!this.#carrier || this.#stopped) return;
    this.#schedule(this.#interval());
    if (this.#suspect) return;
    const t = this.#pickBaselineTarget();
    this.#o.budget.request(this.#role === "active", () => this.#send(t, false));
  }

  #pickBaselineTarget(): TargetStatus {
    const now = this.#o.clock.now();
    const ts = this.#targets;
    for (const t of ts) {
      if (t.dead && t.retryAt <= now) {
        t.retryAt = now + this.#o.cfg.probe.deadTargetRetryMs;
        return t;
      }
    }
    for (let i = 0; i < ts.length; i++) {
      const t = ts[(this.#rr + i) % ts.length];
      if (!t.dead) {
        this.#rr = (this.#rr + i + 1) % ts.length;
        return t;
      }
    }
    const t = ts[this.#rr];
    this.#rr = (this.#rr + 1) % ts.length;
    return t;
  }

  #startSuspect(): void {
    this.#suspect = true;
    this.#failedRounds = 0;
    this.#startRound();
  }

  #startRound(): void {
    const ts = this.#targets;
    const want = Math.min(this.#o.cfg.probe.maxInFlight, ts.length);
    this.#roundReplies = 0;
    this.#roundPending = 0;
    for (let i = 0; i < ts.length && this.#roundPending < want; i++) {
      const t = ts[(this.#rr + i) % ts.length];
      if (t.dead) continue;
      this.#roundPending++;
      this.#o.budget.request(true, () => this.#send(t, true));
    }
    this.#rr = (this.#rr + 1) % ts.length;
    if (this.#roundPending === 0) {
      // Every target set aside: the link has no evidence left but silence.
      this.#failedRounds = this.#o.cfg.probe.confirmRounds;
      this.#endRound();
    }
  }

  #send(t: TargetStatus, inRound: boolean): void {
    let slot: Slot | null = null;
    for (const s of this.#slots) if (!s.busy) { slot = s; break; }
    if (!slot || !this.#carrier || this.#stopped) {
      // Carrier went away while we queued for a socket.
      this.#o.budget.release();
      if (inRound && --this.#roundPending === 0) this.#endRound();
      return;
    }
    const p = this.#o.cfg.probe;
    slot.busy = true;
    slot.token++;
    slot.startedAt = this.#o.clock.now();
    slot.timeoutMs = this.#est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs);
    slot.target = t;
    slot.inRound = inRound;
    const token = slot.token;
    this.#o.prober.probe(this.link, t.target, slot.timeoutMs, (r) => this.#finish(slot, token, r));
  }

  #finish(slot: Slot, token: number, r: ProbeResult): void {
    if (!slot.busy || slot.token !== token) return; // abandoned earlier; the platform answered late
    slot.busy = false;
    this.#o.budget.release();
    if (r !== STUCK) this.completed++;
    const t = slot.target as TargetStatus;
    if (r.ok) {
      this.#est.reply(r.rttMs);
      t.misses = 0;
      t.dead = false;
      this.#okStreak++;
      this.#silent = false;
      if (slot.inRound) this.#roundReplies++;
    } else {
      // Loss is about packets: a dead target, a link already down, or a resolver that fails while
      // the path answers (DNS health is tracked on its own) says nothing about it.
      if (!t.dead && this.#state !== "down" && t.target.kind !== "dns") this.#est.miss();
      t.misses++;
      this.#okStreak = 0;
    }
    if (slot.inRound) {
      if (--this.#roundPending === 0) this.#endRound();
    } else if (!r.ok && !this.#suspect && this.#state !== "down" && this.#carrier) {
      this.#startSuspect();
    }
    this.#evaluate();
  }

  #endRound(): void {
    if (this.#roundReplies > 0) {
      this.#suspect = false;
      this.#setAsideDeadTargets();
      this.#schedule(this.#interval());
      return;
    }
    if (++this.#failedRounds < this.#o.cfg.probe.confirmRounds) {
      this.#startRound();
      return;
    }
    this.#suspect = false;
    this.#silent = true;
    this.#evaluate();
    if (this.#carrier && !this.#stopped) this.#schedule(this.#interval());
  }

  /** The link answers, so targets that keep missing are dead themselves, unless all of their kind are. */
  #setAsideDeadTargets(): void {
    const p = this.#o.cfg.probe;
    const now = this.#o.clock.now();
    for (const t of this.#targets) {
      if (t.dead || t.misses < p.deadTargetMisses) continue;
      let kindmateAnswers = false;
      for (const o of this.#targets) if (o !== t && o.target.kind === t.target.kind && o.misses === 0) kindmateAnswers = true;
      if (!kindmateAnswers) continue;
      t.dead = true;
      t.retryAt = now + p.deadTargetRetryMs;
    }
  }

  #dnsBroken(): boolean {
    const need = this.#o.cfg.health.dnsFailRounds;
    let dns = 0;
    for (const t of this.#targets) {
      if (t.target.kind !== "dns") continue;
      if (t.misses < need) return false;
      dns++;
    }
    return dns > 0;
  }

  #issue(): QualityIssue {
    const h = this.#o.cfg.health;
    if (this.#dnsBroken()) return "dns";
    if (this.#est.samples >= h.lossWindow / 2 && this.#est.lossPct >= h.lossDegradedPct) return "loss";
    if (this.#est.hasRtt && this.#est.srttMs >= h.rttDegradedMs) return "rtt";
    return null;
  }

  #issueLingers(): boolean {
    const h = this.#o.cfg.health;
    return this.#dnsBroken() || this.#est.lossPct > h.lossRecoveredPct ||
      (this.#est.hasRtt && this.#est.srttMs > h.rttRecoveredMs);
  }

  #evaluate(): void {
    const now = this.#o.clock.now();
    const lingers = this.#issueLingers();
    if (lingers) this.#lastIssueAt = now;
    const facts: LinkFacts = {
      now,
      carrier: this.#carrier,
      silent: this.#silent,
      okStreak: this.#okStreak,
      issue: this.#issue(),
      issueLingers: lingers,
      lastIssueAt: this.#lastIssueAt,
    };
    const step = nextLinkState(this.#state, facts, this.#limits);
    if (!step) return;
    const from = this.#state;
    this.#state = step.to;
    this.#since = now;
    if (step.to === "down") {
      this.#est.resetLoss();
      this.#silent = false;
      this.#okStreak = 0;
    }
    this.#o.onStep(this, from, step);
  }

  #abandonAll(): void {
    for (const s of this.#slots) {
      if (!s.busy) continue;
      s.busy = false;
      s.token++;
      this.#o.budget.release();
    }
    this.#roundPending = 0;
  }
}

const STUCK: ProbeResult = { ok: false, rttMs: 0, reason: "timeout" };
