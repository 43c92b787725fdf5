// Probing of one uplink, and the evidence its state is decided on. This file only wires the parts:
//
//   cadence.ts      when to look (the only timers): baseline, fast, silence watch, traffic poll
//   targets.ts      whom to ask: cheapest live kind for liveness, service rounds, dead targets
//   probe-slots.ts  the probes in flight, in slots allocated once
//   detector.ts     is the link silent: phases watching / suspect / down / confirming (silence.ts)
//   quality.ts      how good it is: loss, RTT, DNS, with hysteresis
//   traffic-watch.ts  users' packets as evidence: arrivals prove the path, waiting makes it suspect
//   link-state.ts   the decision: up / degraded / down, and why
//
// While users' traffic keeps proving the link, baseline probing slows to busyIntervalMs.
import type { Clock, Prober, ProbeResult, Traffic } from "../ports";
import type { DeviceConfig } from "../config/config";
import { Cadence } from "./cadence";
import { Detector } from "./detector";
import { PathEstimator } from "./estimator";
import { GapTolerance } from "./gap-tolerance";
import { nextLinkState, type LinkState, type LinkStateLimits, type Step } from "./link-state";
import { ProbeSlots, type ProbeSlot } from "./probe-slots";
import { Quality } from "./quality";
import type { SocketBudget } from "./socket-budget";
import { TargetSet, type TargetStatus } from "./targets";
import { TrafficWatch } from "./traffic-watch";
import { PROBE_BYTES_IN, PROBE_BYTES_OUT } from "./probe-cost";

/** Carries the traffic; a standby the router would rather use (failback candidate); any other standby. */
export type LinkRole = "active" | "preferred" | "standby";

export interface LinkMonitorOptions {
  link: string;
  cfg: DeviceConfig;
  clock: Clock;
  prober: Prober;
  budget: SocketBudget;
  traffic: Traffic;
  carrier: boolean;
  /** Stretch factor (>= 1) for baseline intervals: the link's data budget keeping pace. */
  pace?: () => number;
  /** Bytes this monitor put on the link (probes and their replies), for the data budget. */
  onBytes?: (bytes: number) => void;
  /** What an earlier monitor of this link knew (a config change rebuilds the monitors). */
  seed?: { state: LinkState; since: number; gaps: GapTolerance };
  onStep: (monitor: LinkMonitor, from: LinkState, step: Step) => void;
  /** A silence the link came back from before it was called down (users saw it stall that long). */
  onStall?: (monitor: LinkMonitor, ms: number) => void;
}

/**
 * Baseline replies before traffic may slow probing: the RTO (and with it the gap tolerance of a long
 * path) rests on the RTT variance, which takes a few samples to settle from its first guess.
 */
const BUSY_MIN_SAMPLES = 16;

/**
 * Baseline misses in a row, with not one reply between them, after which a miss on a link the
 * users' packets prove is the targets' silence (a filter, a dead resolver farm), not the path's
 * loss. A path that loses even 70 % answers within 8 probes 94 % of the time.
 */
const TARGETS_SILENT_RUN = 8;

export class LinkMonitor {
  readonly link: string;
  readonly gaps: GapTolerance;
  #o: LinkMonitorOptions;
  #limits: LinkStateLimits;
  #est: PathEstimator;
  #targets: TargetSet;
  #slots: ProbeSlots;
  #cadence: Cadence;
  #det: Detector;
  #quality: Quality;
  #traffic: TrafficWatch;
  #state: LinkState = "unknown";
  #since = 0;
  #role: LinkRole = "standby";
  #carrier: boolean;
  #ownReplies = 0;
  #pending = 0;
  #okStreak = 0;
  /** Baseline misses since the last reply of any probe. */
  #missRun = 0;
  #stopped = false;
  /** Probes the platform answered (the supervisor watches this move). */
  completed = 0;

  constructor(o: LinkMonitorOptions) {
    this.#o = o;
    this.link = o.link;
    this.#carrier = o.carrier;
    const h = o.cfg.health;
    this.#est = new PathEstimator(h.lossWindow);
    this.gaps = o.seed?.gaps ?? new GapTolerance({ floorMs: h.silenceMinMs, capMs: h.silenceMaxMs, memoryMs: h.gapMemoryMs });
    this.#targets = new TargetSet(o.cfg.targets, o.cfg.probe);
    this.#quality = new Quality(h, this.#est, this.#targets.has("dns"));
    this.#traffic = new TrafficWatch(o.traffic, o.link);
    this.#slots = new ProbeSlots(o.cfg.probe.maxInFlight, (s, r) => this.#finish(s, r));
    this.#cadence = new Cadence(o.clock, {
      baseline: () => this.#tick(), fast: () => this.#fastTick(), poll: () => this.#poll(),
      watch: () => { if (this.#carrier && !this.#stopped && this.#state !== "down") this.#det.watchDue(o.clock.now()); },
    });
    this.#since = o.clock.now();
    if (o.seed && o.carrier) {
      this.#state = o.seed.state;
      this.#since = o.seed.since;
    }
    this.#det = new Detector({
      cfg: o.cfg, est: this.#est, gaps: this.gaps, slots: this.#slots, targets: this.#targets, cadence: this.#cadence,
      now: () => o.clock.now(), startFast: () => this.#startFast(), decide: () => this.#evaluate(),
      stalled: (ms) => {
        this.gaps.recovered(o.clock.now(), ms);
        o.onStall?.(this, ms);
      },
    }, this.#state === "down");
    this.#limits = { upSuccesses: o.cfg.probe.upSuccesses, recoverMs: h.recoverMs };
  }

  get state(): LinkState { return this.#state; }
  /** Time of the last state change. */
  get since(): number { return this.#since; }
  get role(): LinkRole { return this.#role; }
  get carrier(): boolean { return this.#carrier; }
  get srttMs(): number { return this.#est.srttMs; }
  get jitterMs(): number { return this.#est.jitterMs; }
  get lossPct(): number { return this.#est.lossPct; }
  get lossSamples(): number { return this.#est.samples; }
  /** When a DNS probe last succeeded / failed on this link. */
  get dnsOkAt(): number { return this.#quality.dnsOkAt; }
  get dnsFailAt(): number { return this.#quality.dnsFailAt; }
  /** Users' packets per second arriving over this link (0 unless it carries their traffic). */
  get rxPps(): number { return this.#traffic.rxPps; }
  /** Users' traffic proves the link: probing has slowed down (once the path's RTT is known well). */
  get busy(): boolean {
    return this.#role === "active" && this.#traffic.rxPps >= this.#o.cfg.passive.busyRxPps && this.#est.samples >= BUSY_MIN_SAMPLES;
  }
  get deadTargets(): number { return this.#targets.deadCount; }
  /** The detector's phase: watching, suspect, down or confirming. */
  get phase(): string { return this.#det.phase; }

  /** How long this link may now stay silent before it is down. */
  toleranceMs(): number { return this.#det.toleranceMs(this.#o.clock.now()); }

  start(): void {
    if (this.#carrier) this.#cadence.baselineIn(0);
    else this.#evaluate();
  }

  stop(): void {
    this.#stopped = true;
    this.#cadence.stopAll();
    this.#abandonAll();
  }

  setRole(role: LinkRole): void {
    if (role === this.#role) return;
    this.#role = role;
    if (role !== "active") {
      this.#cadence.stopPoll();
      this.#traffic.idle();
    }
    // Becoming active must not wait out a long standby interval.
    const due = this.#o.clock.now() + this.#interval();
    if (this.#cadence.baselineArmed && this.#cadence.nextAt > due) this.#cadence.baselineIn(this.#interval());
  }

  setCarrier(up: boolean): void {
    if (up === this.#carrier) return;
    this.#carrier = up;
    this.#okStreak = 0;
    if (!up) {
      this.#cadence.cancelBaseline();
      this.#cadence.stopPoll();
      this.#traffic.idle();
      this.#cadence.stopFast();
      this.#abandonAll();
      this.#det.carrierLost();
      this.#evaluate();
    } else {
      this.#cadence.baselineIn(0);
    }
  }

  /** Watchdog escalation or the fleet: look again now, fast, instead of waiting for the interval. */
  reprobe(): void {
    if (!this.#carrier || this.#stopped) return;
    if (this.#state === "down") this.#cadence.baselineIn(0);
    else this.#det.reprobe();
  }

  /** Ask every DNS target now: the policy wants fresh proof before moving for a DNS fault. */
  verifyDns(): void {
    if (!this.#carrier || this.#stopped || this.#state === "down") return;
    for (const t of this.#targets.list) {
      if (t.target.kind !== "dns" || t.dead) continue;
      this.#request(false, t, false);
    }
  }

  /** Abandon probes the platform never answered; returns how many. */
  abandonStuck(now: number, graceMs: number): number {
    let n = 0;
    for (const s of this.#slots.all) {
      if (s.busy && now - s.sentAt > s.timeoutMs + graceMs) {
        n++;
        this.#slots.abandon(s);
        this.#finish(s, STUCK);
      }
    }
    return n;
  }

  // ---- cadence ----

  #interval(): number {
    const p = this.#o.cfg.probe;
    if (this.#state === "down") return p.downIntervalMs;
    // Users' packets prove the path forwards but say nothing of its loss: once the loss window
    // reaches the recovered level, only probes at the full rate can tell a worsening path in time.
    let ms = this.#role === "standby" ? p.standbyIntervalMs
      : this.busy && this.#det.phase !== "suspect" && this.#est.lossPct < this.#o.cfg.health.lossRecoveredPct
        ? (p.busyIntervalMs > p.intervalMs ? p.busyIntervalMs : p.intervalMs)
      : p.intervalMs;
    const pace = this.#o.pace ? this.#o.pace() : 1;
    if (pace > 1) ms *= pace;
    return ms;
  }

  #tick(): void {
    if (!this.#carrier || this.#stopped) return;
    if (this.#role === "active") this.#poll();
    this.#cadence.baselineIn(this.#interval());
    // Fast probing already says more than a baseline probe would; a probe still queued for a
    // socket or every slot busy (a dead link's probes wait long) means this one would only queue.
    if (this.#cadence.fastRunning || this.#pending > 0 || this.#slots.busyCount() === this.#slots.size) return;
    const t = this.#targets.baseline(this.#o.clock.now(), this.#quality.dnsInDoubt);
    this.#request(this.#role === "active", t, true);
  }

  #startFast(): void {
    if (this.#cadence.fastRunning || !this.#carrier || this.#stopped) return;
    this.#cadence.startFast(this.#o.cfg.probe.fastIntervalMs);
    this.#fastTick();
  }

  #fastTick(): void {
    if (!this.#det.fast || !this.#carrier || this.#stopped) return this.#cadence.stopFast();
    if (this.#pending + this.#slots.busyCount() >= this.#slots.size) return;
    this.#request(true, this.#targets.fast(), false);
  }

  /** Read the counters: arrivals prove the path; users waiting on nothing make the link suspect. */
  #poll(): void {
    const now = this.#o.clock.now();
    const w = this.#traffic, c = this.#cadence, since = () => this.#det.silence.since;
    const replies = this.#ownReplies;
    this.#ownReplies = 0;
    if (!w.poll(now, replies)) return;
    const busy = this.busy;
    if (busy && !c.polling) {
      c.startPoll(this.#o.cfg.passive.pollMs);
      // Proven by traffic: the next baseline probe may wait the longer interval.
      c.baselineIn(this.#interval());
    } else if (!busy && c.polling && since() === null) {
      c.stopPoll();
      // Users went quiet: probes are the evidence again, at the full rate.
      if (c.nextAt > now + this.#interval()) c.baselineIn(this.#interval());
    }
    if (this.#state === "down" || !this.#carrier || this.#stopped) return;
    const s = since();
    if (w.received && s !== null && w.lastRxAt >= s) {
      this.#det.arrived(now, w.lastRxAt);
    } else if (busy && w.waitingMs(now) >= w.quietMs(this.#o.cfg.passive.quietPackets, this.#est.rtoMs)) {
      // Users' packets go unanswered: the link is silent since the last arrival (earlier than any
      // unanswered probe says), and worth a closer look now.
      this.#det.usersWaiting(w.lastRxAt >= 0 ? w.lastRxAt : now - w.waitingMs(now));
    }
  }

  // ---- probes ----

  #request(urgent: boolean, t: TargetStatus, baseline: boolean): void {
    this.#pending++;
    this.#o.budget.request(urgent, () => { this.#pending--; this.#send(t, baseline); });
  }

  #send(t: TargetStatus, baseline: boolean): void {
    const slot = this.#slots.free();
    if (!slot || !this.#carrier || this.#stopped) {
      // Carrier went away (or the slots filled) while we queued for a socket.
      this.#o.budget.release();
      return;
    }
    const p = this.#o.cfg.probe;
    const now = this.#o.clock.now();
    // A fast probe only has to cover the path's RTT; the first unanswered probe listens until the
    // link would be called down, so a late reply is still heard; a down link's probes wait longest.
    const down = this.#state === "down", quiet = this.#det.silence.since === null;
    const timeout = down ? this.#est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs, 3)
      : quiet ? this.#est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs, 1, this.toleranceMs())
      : this.#est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs, 2);
    this.#slots.take(slot, t, baseline, now, timeout);
    if (!down) this.#det.sent(now);
    this.#o.onBytes?.(PROBE_BYTES_OUT[t.target.kind]);
    this.#o.prober.probe(this.link, t.target, timeout, slot.done);
  }

  #finish(slot: ProbeSlot, r: ProbeResult): void {
    this.#o.budget.release();
    if (r !== STUCK) this.completed++;
    const t = slot.target as TargetStatus;
    if (r.ok) {
      this.#ownReplies++;
      this.#o.onBytes?.(PROBE_BYTES_IN[t.target.kind]);
      this.#replied(slot, t, r.rttMs);
    } else {
      this.#expired(slot, t);
    }
    this.#evaluate();
  }

  #replied(slot: ProbeSlot, t: TargetStatus, rttMs: number): void {
    const now = this.#o.clock.now();
    // The loss window counts what its misses count: baseline probes, resolvers aside.
    this.#est.reply(rttMs, slot.baseline && t.target.kind !== "dns");
    this.#missRun = 0;
    t.misses = 0;
    t.dead = false;
    this.#okStreak++;
    if (t.target.kind === "dns") this.#quality.dnsAnswered(now);
    this.#quality.trackRtt(now);
    this.#det.replied(slot, now);
  }

  #expired(slot: ProbeSlot, t: TargetStatus): void {
    // Loss is about packets: a dead target, a link already down, or a resolver that fails while
    // the path answers (DNS health is tracked on its own) says nothing about it.
    if (slot.baseline && !t.dead && this.#state !== "down" && t.target.kind !== "dns"
      && (this.#missRun++ < TARGETS_SILENT_RUN || !this.busy)) this.#est.miss();
    t.misses++;
    this.#okStreak = 0;
    // A resolver asked while the whole link was silent says nothing about DNS.
    if (t.target.kind === "dns" && this.#state !== "down" && !this.#det.sentInSilence(slot.sentAt)) {
      const now = this.#o.clock.now();
      this.#quality.dnsFailed(now);
      // Ask the resolvers again soon rather than a service round later, until DNS is judged.
      if (!this.#quality.dnsBroken()) this.#targets.serviceBy(now + this.#o.cfg.probe.dnsRecheckMs);
    }
    this.#det.expired(slot, t);
  }

  // ---- the decision ----

  #evaluate(): void {
    const now = this.#o.clock.now();
    const q = this.#quality;
    const lingers = q.lingers(now);
    const evidence = this.#det.evidence;
    const step = nextLinkState(this.#state, {
      now, carrier: this.#carrier, silent: evidence !== null, evidence: evidence ?? undefined, okStreak: this.#okStreak,
      issue: q.issue(now), issueLingers: lingers, lastIssueAt: q.lastIssueAt,
    }, this.#limits);
    if (!step) return;
    const from = this.#state;
    this.#state = step.to;
    this.#since = now;
    if (step.to === "down") this.#enterDown();
    else if (from === "down") this.#leaveDown();
    this.#o.onStep(this, from, step);
  }

  #enterDown(): void {
    this.#cadence.stopPoll();
    this.#traffic.idle();
    this.#est.resetLoss();
    this.#quality.reset();
    this.#okStreak = 0;
    this.#det.enteredDown();
    if (this.#carrier && !this.#stopped) this.#cadence.baselineIn(this.#interval());
  }

  #leaveDown(): void {
    this.#det.leftDown();
    if (this.#carrier && !this.#stopped) this.#cadence.baselineIn(this.#interval());
  }

  #abandonAll(): void {
    for (const s of this.#slots.all) {
      if (!s.busy) continue;
      this.#slots.abandon(s);
      this.#o.budget.release();
    }
  }
}

const STUCK: ProbeResult = { ok: false, rttMs: 0, reason: "timeout" };
