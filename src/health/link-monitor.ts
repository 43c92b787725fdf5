// Probing of one uplink, and the evidence its state is decided on.
//
// Liveness is judged by silence, not by per-probe timeouts. Any reply, however late, proves the
// path forwards; the link is silent from the send time of the first probe still unanswered since
// the last reply. When that probe is overdue (its RTO passed) the link is suspect and is probed
// fast, rotating over the targets, so the end of a gap is seen within a fast interval. It is down
// only once the silence outlasts its gap tolerance (learned from the gaps this link recovered
// from, see gap-tolerance.ts) and several probes to more than one target are overdue. The first
// unanswered probe keeps listening until that moment, so a reply that is merely late still counts.
//
// The link's own traffic (interface counters, see traffic-watch.ts) is evidence too: packets that
// arrive prove the path like a reply does; users' packets going out with nothing back for longer
// than their usual spacing makes the link suspect at once, with the silence dated from the last
// arrival. While users' traffic keeps proving the link, baseline probing slows to busyIntervalMs.
//
// Baseline probes go to the cheapest live target kind (liveness); every other target is asked once
// per serviceIntervalMs (every few seconds while a resolver is failing), so a link's probe bytes
// are mostly minimal ICMP echoes.
//
// Quality is judged by windowed statistics and never makes a link down: loss over the last baseline
// probes, RTT only when it stays high for `rttSustainMs`, DNS when every resolver keeps failing.
import type { Clock, Prober, ProbeResult, ProbeTarget, Traffic } from "../ports";
import type { DeviceConfig } from "../config/config";
import { PathEstimator } from "./estimator";
import { GapTolerance } from "./gap-tolerance";
import { nextLinkState, type LinkFacts, type LinkState, type LinkStateLimits, type QualityIssue, type Step } from "./link-state";
import type { SocketBudget } from "./socket-budget";
import { TrafficWatch } from "./traffic-watch";
import { PROBE_BYTES_OUT, PROBE_COST } from "./probe-cost";

/** Carries the traffic; a standby the router would rather use (failback candidate); any other standby. */
export type LinkRole = "active" | "preferred" | "standby";

interface TargetStatus {
  target: ProbeTarget;
  bit: number;
  misses: number;
  dead: boolean;
  retryAt: number;
}

interface Slot {
  busy: boolean;
  token: number;
  sentAt: number;
  timeoutMs: number;
  target: TargetStatus | null;
  /** A baseline probe (counted in the loss window), not a fast one. */
  baseline: boolean;
}

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

/** A silence longer than this that ends is an outage that ended, not a gap to tolerate next time. */
const GAP_LEARN_MAX_FACTOR = 4;

export class LinkMonitor {
  readonly link: string;
  readonly gaps: GapTolerance;
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
  #fastTimer: unknown = null;
  #watchTimer: unknown = null;
  #rr = 0;
  #fastRr = 0;
  #serviceRr = 0;
  #serviceAt = 0;
  #watchTraffic: TrafficWatch;
  #pollTimer: unknown = null;
  #ownReplies = 0;
  #gapFrom = 0;
  #gapTo = -1;
  /** Probes other than resolvers that expired within the current silence. */
  #silentOther = 0;
  #pending = 0;
  /** Send time of the first probe unanswered since the last reply (null: nothing outstanding). */
  #silentSince: number | null = null;
  /** Overdue evidence since #silentSince: probes that expired unanswered, and their targets. */
  #silentExpired = 0;
  #silentTargets = 0;
  /** The silence is dated from the users' last arrival, not from an unanswered probe. */
  #datedByTraffic = false;
  /** Where the silence that made the link down began (to learn from it if it was only a gap). */
  #downSilenceFrom: number | null = null;
  #suspect = false;
  #confirming = false;
  #silent = false;
  #okStreak = 0;
  /** Baseline misses since the last reply of any probe. */
  #missRun = 0;
  #dnsFails = 0;
  #dnsOkAt = -Infinity;
  #dnsFailAt = -Infinity;
  #lingered = false;
  #rttHighSince: number | null = null;
  #lastIssueAt = -Infinity;
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
    this.#targets = o.cfg.targets.map((target, i) => ({ target, bit: 1 << i, misses: 0, dead: false, retryAt: 0 }));
    this.#watchTraffic = new TrafficWatch(o.traffic, o.link);
    for (let i = 0; i < o.cfg.probe.maxInFlight; i++) {
      this.#slots.push({ busy: false, token: 0, sentAt: 0, timeoutMs: 0, target: null, baseline: true });
    }
    this.#since = o.clock.now();
    if (o.seed && o.carrier) {
      this.#state = o.seed.state;
      this.#since = o.seed.since;
    }
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
  /** When a DNS probe last succeeded on this link. */
  get dnsOkAt(): number { return this.#dnsOkAt; }
  /** When a DNS probe last failed on this link. */
  get dnsFailAt(): number { return this.#dnsFailAt; }
  /** Users' packets per second arriving over this link (0 unless it carries their traffic). */
  get rxPps(): number { return this.#watchTraffic.rxPps; }
  /** Users' traffic proves the link: probing has slowed down (once the path's RTT is known well). */
  get busy(): boolean {
    return this.#role === "active" && this.#watchTraffic.rxPps >= this.#o.cfg.passive.busyRxPps && this.#est.samples >= BUSY_MIN_SAMPLES;
  }
  get deadTargets(): number {
    let n = 0;
    for (const t of this.#targets) if (t.dead) n++;
    return n;
  }

  /** How long this link may now stay silent before it is down. */
  toleranceMs(): number {
    const gap = this.gaps.valueMs(this.#o.clock.now());
    // A long path needs room for its own round trips whatever its gap history.
    const rtt = 2 * this.#est.rtoMs;
    return gap > rtt ? gap : rtt;
  }

  /**
   * The tolerance for the silence now going on. A silence dated by an unanswered probe begins up to
   * a probe interval after the link last proved itself, one dated by the users' last arrival at
   * that very moment: a link whose history earned it room gets back, in proportion, the half
   * interval a probe-dated silence has on average, so its gaps are not judged longer for being
   * seen sooner. A link with no gap history keeps the floor, and passive detection stays fast.
   */
  #silenceToleranceMs(): number {
    const t = this.toleranceMs();
    if (!this.#datedByTraffic) return t;
    const h = this.#o.cfg.health;
    const room = h.silenceMaxMs - h.silenceMinMs;
    const earned = this.gaps.valueMs(this.#o.clock.now()) - h.silenceMinMs;
    if (room <= 0 || earned <= 0) return t;
    return t + (this.#o.cfg.probe.intervalMs / 2) * (earned < room ? earned / room : 1);
  }

  start(): void {
    if (this.#carrier) this.#schedule(0);
    else this.#evaluate();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTimer();
    this.#stopPoll();
    this.#stopFast();
    this.#cancelWatch();
    this.#abandonAll();
  }

  setRole(role: LinkRole): void {
    if (role === this.#role) return;
    this.#role = role;
    if (role !== "active") {
      this.#stopPoll();
      this.#watchTraffic.idle();
    }
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
      this.#stopPoll();
      this.#watchTraffic.idle();
      this.#stopFast();
      this.#abandonAll();
      this.#clearSilence();
      this.#suspect = this.#confirming = false;
      this.#evaluate();
    } else {
      this.#schedule(0);
    }
  }

  /** Watchdog escalation or the fleet: look again now, fast, instead of waiting for the interval. */
  reprobe(): void {
    if (!this.#carrier || this.#stopped) return;
    if (this.#state === "down") {
      this.#schedule(0);
    } else if (!this.#suspect) {
      this.#suspect = true;
      this.#startFast();
    }
  }

  /** Ask every DNS target now: the policy wants fresh proof before moving for a DNS fault. */
  verifyDns(): void {
    if (!this.#carrier || this.#stopped || this.#state === "down") return;
    for (const t of this.#targets) {
      if (t.target.kind !== "dns" || t.dead) continue;
      this.#pending++;
      this.#o.budget.request(false, () => { this.#pending--; this.#send(t, false); });
    }
  }

  /** Abandon probes the platform never answered; returns how many. */
  abandonStuck(now: number, graceMs: number): number {
    let n = 0;
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (s.busy && now - s.sentAt > s.timeoutMs + graceMs) {
        n++;
        this.#finish(s, s.token, STUCK);
      }
    }
    return n;
  }

  // ---- scheduling ----

  #interval(): number {
    const p = this.#o.cfg.probe;
    if (this.#state === "down") return p.downIntervalMs;
    // Users' packets prove the path forwards but say nothing of its loss: once the loss window
    // reaches the recovered level, only probes at the full rate can tell a worsening path in time.
    let ms = this.#role === "standby" ? p.standbyIntervalMs
      : this.busy && !this.#suspect && this.#est.lossPct < this.#o.cfg.health.lossRecoveredPct
        ? (p.busyIntervalMs > p.intervalMs ? p.busyIntervalMs : p.intervalMs)
      : p.intervalMs;
    const pace = this.#o.pace ? this.#o.pace() : 1;
    if (pace > 1) ms *= pace;
    return ms;
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
    if (this.#role === "active") this.#poll();
    this.#schedule(this.#interval());
    // Fast probing already says more than a baseline probe would; a probe still queued for a
    // socket or every slot busy (a dead link's probes wait long) means this one would only queue.
    if (this.#fastTimer !== null || this.#pending > 0 || this.#busySlots() === this.#slots.length) return;
    const t = this.#pickBaselineTarget();
    this.#pending++;
    this.#o.budget.request(this.#role === "active", () => { this.#pending--; this.#send(t, true); });
  }

  #pickBaselineTarget(): TargetStatus {
    const now = this.#o.clock.now();
    const p = this.#o.cfg.probe;
    const ts = this.#targets;
    for (const t of ts) {
      if (t.dead && t.retryAt <= now) {
        t.retryAt = now + p.deadTargetRetryMs;
        return t;
      }
    }
    const cheap = this.#cheapestLiveCost();
    // Resolvers that fail are asked again soon, only they: DNS health must not wait a service round.
    const dnsOnly = this.#dnsFails > 0 && !this.#dnsBroken();
    if (now >= this.#serviceAt) {
      let services = 0;
      for (const t of ts) if (!t.dead && (dnsOnly ? t.target.kind === "dns" : PROBE_COST[t.target.kind] > cheap)) services++;
      for (let i = 0; i < ts.length && services > 0; i++) {
        const t = ts[(this.#serviceRr + i) % ts.length];
        if (t.dead || (dnsOnly ? t.target.kind !== "dns" : PROBE_COST[t.target.kind] <= cheap)) continue;
        this.#serviceRr = (ts.indexOf(t) + 1) % ts.length;
        this.#serviceAt = now + (dnsOnly ? p.dnsRecheckMs : p.serviceIntervalMs / services);
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

  /** Bytes of the cheapest probe a live target takes. */
  #cheapestLiveCost(): number {
    let min = Infinity;
    for (const t of this.#targets) {
      const c = PROBE_COST[t.target.kind];
      if (!t.dead && c < min) min = c;
    }
    return min;
  }

  // ---- traffic ----

  /** Read the counters: arrivals prove the path; users waiting on nothing make the link suspect. */
  #poll(): void {
    const now = this.#o.clock.now();
    const w = this.#watchTraffic;
    const replies = this.#ownReplies;
    this.#ownReplies = 0;
    if (!w.poll(now, replies)) return;
    const busy = this.busy;
    if (busy && this.#pollTimer === null) {
      this.#pollTimer = this.#o.clock.every(this.#o.cfg.passive.pollMs, () => this.#poll());
      // Proven by traffic: the next baseline probe may wait the longer interval.
      this.#schedule(this.#interval());
    } else if (!busy && this.#pollTimer !== null && this.#silentSince === null) {
      this.#stopPoll();
      // Users went quiet: probes are the evidence again, at the full rate.
      if (this.#nextAt > now + this.#interval()) this.#schedule(this.#interval());
    }
    if (this.#state === "down" || !this.#carrier || this.#stopped) return;
    if (w.received && this.#silentSince !== null && w.lastRxAt >= this.#silentSince) {
      this.#trafficArrived(now, w.lastRxAt);
    } else if (busy && w.waitingMs(now) >= w.quietMs(this.#o.cfg.passive.quietPackets, this.#est.rtoMs)) {
      // Users' packets go unanswered: the link is silent since the last arrival (earlier than any
      // unanswered probe says), and worth a closer look now.
      const from = w.lastRxAt >= 0 ? w.lastRxAt : now - w.waitingMs(now);
      const earlier = this.#silentSince === null || from < this.#silentSince;
      if (this.#silentSince === null) {
        this.#silentExpired = 0;
        this.#silentOther = 0;
        this.#silentTargets = 0;
      }
      if (earlier) {
        this.#silentSince = from;
        this.#datedByTraffic = true;
      }
      if (!this.#suspect) {
        this.#suspect = true;
        this.#startFast();
      } else if (!earlier) return;
      this.#armWatch();
    }
  }

  #stopPoll(): void {
    if (this.#pollTimer !== null) this.#o.clock.cancel(this.#pollTimer);
    this.#pollTimer = null;
  }

  /** Packets arrived at `at`, after the silence began: it ended then. */
  #trafficArrived(now: number, at: number): void {
    if (this.#suspect) this.#stalled(now, at - (this.#silentSince as number));
    this.#lastGap(this.#silentSince as number, at);
    this.#clearSilence();
    this.#restartSilenceAfter(at);
    if (this.#suspect) {
      this.#suspect = false;
      this.#setAsideDeadTargets();
    }
    if (this.#silentSince !== null) this.#armWatch();
  }

  /**
   * The silence that just ended, if it was a gap (other probes than resolvers went unanswered in
   * it too): resolvers asked inside it were not heard for that reason alone.
   */
  #lastGap(from: number, to: number): void {
    if (!this.#otherLossIn(from)) return;
    this.#gapFrom = from;
    this.#gapTo = to;
  }

  /** A probe other than a resolver, sent since `from`, expired or is overdue. */
  #otherLossIn(from: number): boolean {
    if (this.#silentOther > 0) return true;
    const now = this.#o.clock.now(), rto = this.#est.rtoMs;
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (s.busy && s.sentAt >= from && now - s.sentAt >= rto && (s.target as TargetStatus).target.kind !== "dns") return true;
    }
    return false;
  }

  /** Sent while nothing came back from the link at all (a gap still going on, or the last one). */
  #sentInSilence(sentAt: number): boolean {
    if (this.#silentSince !== null && sentAt >= this.#silentSince && this.#otherLossIn(this.#silentSince)) return true;
    return sentAt >= this.#gapFrom && sentAt <= this.#gapTo;
  }

  /** A silence ended without the link going down: learn from it, and tell whoever counts stalls. */
  #stalled(now: number, ms: number): void {
    this.gaps.recovered(now, ms);
    this.#o.onStall?.(this, ms);
  }

  /** Probes sent after `at` and still out start the next silence. */
  #restartSilenceAfter(at: number): void {
    for (const s of this.#slots) {
      if (s.busy && s.sentAt > at && (this.#silentSince === null || s.sentAt < this.#silentSince)) this.#silentSince = s.sentAt;
    }
  }

  #nextLive(from: number): TargetStatus {
    const ts = this.#targets;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[(from + i) % ts.length];
      if (!t.dead) return t;
    }
    return ts[from % ts.length];
  }

  #startFast(): void {
    if (this.#fastTimer !== null || !this.#carrier || this.#stopped) return;
    this.#fastTimer = this.#o.clock.every(this.#o.cfg.probe.fastIntervalMs, () => this.#fastTick());
    this.#fastTick();
  }

  #stopFast(): void {
    if (this.#fastTimer !== null) this.#o.clock.cancel(this.#fastTimer);
    this.#fastTimer = null;
  }

  #fastTick(): void {
    if (!(this.#suspect || this.#confirming) || !this.#carrier || this.#stopped) return this.#stopFast();
    if (this.#pending + this.#busySlots() >= this.#slots.length) return;
    const t = this.#nextLive(this.#fastRr);
    this.#fastRr = (this.#targets.indexOf(t) + 1) % this.#targets.length;
    this.#pending++;
    this.#o.budget.request(true, () => { this.#pending--; this.#send(t, false); });
  }

  #busySlots(): number {
    let n = 0;
    for (const s of this.#slots) if (s.busy) n++;
    return n;
  }

  // ---- probes ----

  #send(t: TargetStatus, baseline: boolean): void {
    let slot: Slot | null = null;
    for (const s of this.#slots) if (!s.busy) { slot = s; break; }
    if (!slot || !this.#carrier || this.#stopped) {
      // Carrier went away (or the slots filled) while we queued for a socket.
      this.#o.budget.release();
      return;
    }
    const p = this.#o.cfg.probe;
    const now = this.#o.clock.now();
    slot.busy = true;
    slot.token++;
    slot.sentAt = now;
    slot.target = t;
    slot.baseline = baseline;
    // A fast probe only has to cover the path's RTT; the first unanswered probe listens until the
    // link would be called down, so a late reply is still heard; a down link's probes wait longest.
    const rto = this.#est.rtoMs;
    const wait = this.#state === "down" ? 3 * rto
      : this.#silentSince === null ? this.toleranceMs() + rto : 2 * rto;
    slot.timeoutMs = wait < p.minTimeoutMs ? p.minTimeoutMs : wait > p.maxTimeoutMs ? p.maxTimeoutMs : Math.round(wait);
    if (this.#silentSince === null && this.#state !== "down") {
      this.#silentSince = now;
      this.#silentExpired = 0;
      this.#silentOther = 0;
      this.#silentTargets = 0;
      this.#armWatch();
    }
    const token = slot.token;
    this.#o.onBytes?.(PROBE_BYTES_OUT[t.target.kind]);
    this.#o.prober.probe(this.link, t.target, slot.timeoutMs, (r) => this.#finish(slot, token, r));
  }

  #finish(slot: Slot, token: number, r: ProbeResult): void {
    if (!slot.busy || slot.token !== token) return; // abandoned earlier; the platform answered late
    slot.busy = false;
    this.#o.budget.release();
    if (r !== STUCK) this.completed++;
    const t = slot.target as TargetStatus;
    if (r.ok) {
      this.#ownReplies++;
      this.#o.onBytes?.(PROBE_COST[t.target.kind] - PROBE_BYTES_OUT[t.target.kind]);
    }
    if (r.ok) this.#replied(slot, t, r.rttMs);
    else this.#expired(slot, t);
    this.#evaluate();
  }

  #replied(slot: Slot, t: TargetStatus, rttMs: number): void {
    const now = this.#o.clock.now();
    // The loss window counts what its misses count: baseline probes, resolvers aside.
    this.#est.reply(rttMs, slot.baseline && t.target.kind !== "dns");
    this.#missRun = 0;
    t.misses = 0;
    t.dead = false;
    this.#okStreak++;
    if (t.target.kind === "dns") {
      this.#dnsFails = 0;
      this.#dnsOkAt = now;
    }
    this.#trackRtt(now);
    if (this.#state === "down") {
      if (this.#downSilenceFrom !== null) {
        const silence = now - this.#downSilenceFrom;
        this.#downSilenceFrom = null;
        if (silence <= GAP_LEARN_MAX_FACTOR * this.#o.cfg.health.silenceMaxMs) this.gaps.recovered(now, silence);
      }
      if (!this.#confirming) {
        this.#confirming = true;
        this.#startFast();
      }
      return;
    }
    if (this.#silentSince !== null && slot.sentAt >= this.#silentSince) {
      // The silence ended: remember how long it lasted, then start over from what is still out.
      if (this.#suspect) this.#stalled(now, now - this.#silentSince);
      this.#lastGap(this.#silentSince, slot.sentAt);
      this.#clearSilence();
      this.#restartSilenceAfter(slot.sentAt);
    }
    // The link answers: no longer suspect (fast probing stops); probes still out are judged anew.
    if (this.#suspect) {
      this.#suspect = false;
      this.#setAsideDeadTargets();
    }
    if (this.#silentSince !== null) this.#armWatch();
  }

  #expired(slot: Slot, t: TargetStatus): void {
    // Loss is about packets: a dead target, a link already down, or a resolver that fails while
    // the path answers (DNS health is tracked on its own) says nothing about it.
    if (slot.baseline && !t.dead && this.#state !== "down" && t.target.kind !== "dns"
      && (this.#missRun++ < TARGETS_SILENT_RUN || !this.busy)) this.#est.miss();
    t.misses++;
    this.#okStreak = 0;
    // A resolver asked while the whole link was silent says nothing about DNS.
    if (t.target.kind === "dns" && this.#state !== "down" && !this.#sentInSilence(slot.sentAt)) {
      this.#dnsFails++;
      this.#dnsFailAt = this.#o.clock.now();
      // Ask the resolvers again soon rather than a service round later, until DNS is judged.
      const soon = this.#dnsFailAt + this.#o.cfg.probe.dnsRecheckMs;
      if (this.#serviceAt > soon && !this.#dnsBroken()) this.#serviceAt = soon;
    }
    if (this.#confirming) this.#confirming = false;
    if (this.#silentSince !== null && slot.sentAt >= this.#silentSince) {
      this.#silentExpired++;
      this.#silentTargets |= t.bit;
      if (t.target.kind !== "dns") this.#silentOther++;
    }
  }

  // ---- silence ----

  #clearSilence(): void {
    this.#silentSince = null;
    this.#datedByTraffic = false;
    this.#silentOther = 0;
    this.#silentExpired = 0;
    this.#silentTargets = 0;
    this.#cancelWatch();
  }

  /** Wake when the first unanswered probe is overdue (suspect), then when the tolerance runs out. */
  #armWatch(): void {
    this.#cancelWatch();
    if (this.#silentSince === null) return;
    const due = this.#silentSince + (this.#suspect ? this.#silenceToleranceMs() : this.#est.rtoMs);
    const now = this.#o.clock.now();
    // Whole milliseconds, at least one: a due time equal to now must not spin the clock.
    this.#watchTimer = this.#o.clock.once(due > now ? Math.max(1, Math.ceil(due - now)) : 0, () => {
      this.#watchTimer = null;
      this.#watch();
    });
  }

  #cancelWatch(): void {
    if (this.#watchTimer !== null) this.#o.clock.cancel(this.#watchTimer);
    this.#watchTimer = null;
  }

  #watch(): void {
    if (this.#silentSince === null || !this.#carrier || this.#stopped || this.#state === "down") return;
    if (!this.#suspect) {
      this.#suspect = true;
      this.#startFast();
      this.#armWatch();
      return;
    }
    const now = this.#o.clock.now();
    if (now < this.#silentSince + this.#silenceToleranceMs()) return this.#armWatch();
    if (!this.#enoughEvidence(now)) {
      this.#watchTimer = this.#o.clock.once(this.#o.cfg.probe.fastIntervalMs, () => { this.#watchTimer = null; this.#watch(); });
      return;
    }
    this.#silent = true;
    this.#downSilenceFrom = this.#silentSince;
    this.#evaluate();
  }

  /** Enough probes overdue, to more than one target where there is more than one to ask. */
  #enoughEvidence(now: number): boolean {
    const since = this.#silentSince as number;
    const rto = this.#est.rtoMs;
    let overdue = this.#silentExpired, targets = this.#silentTargets, live = 0;
    for (const s of this.#slots) {
      if (s.busy && s.sentAt >= since && now - s.sentAt >= rto) {
        overdue++;
        targets |= (s.target as TargetStatus).bit;
      }
    }
    let distinct = 0;
    for (const t of this.#targets) {
      if (!t.dead) live++;
      if (targets & t.bit) distinct++;
    }
    return overdue >= this.#needOverdue() && distinct >= (live > 1 ? 2 : 1);
  }

  /**
   * Overdue probes that make silence more than bad luck. On a lossy path each probe misses with
   * about the measured loss rate (plus late replies), so beyond the first miss that started the
   * suspicion ask for enough that all of them missing by chance is below 1e-9: a link suspected
   * every few seconds for a day must not be called down once.
   */
  #needOverdue(): number {
    const base = this.#o.cfg.probe.confirmProbes;
    const n = 1 + this.#unlikelyRun(1e-9);
    return n > base ? n : base;
  }

  /** Misses in a row that random loss alone gives with probability below `p`. */
  #unlikelyRun(p: number): number {
    const windowed = this.#est.lossPct / 100, long = this.#est.longLoss;
    const loss = this.#est.samples >= 10 ? (windowed > long ? windowed : long) + 0.03 : 0;
    if (loss <= 0.05) return 0;
    return Math.ceil(Math.log(p) / Math.log(loss >= 0.95 ? 0.95 : loss));
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

  // ---- quality ----

  #trackRtt(now: number): void {
    const h = this.#o.cfg.health;
    const srtt = this.#est.srttMs;
    if (srtt >= h.rttDegradedMs) {
      if (this.#rttHighSince === null) this.#rttHighSince = now;
    } else if (srtt < h.rttRecoveredMs) {
      this.#rttHighSince = null;
    }
  }

  /** Every resolver keeps failing, more often than the link's own loss explains. */
  #dnsBroken(): boolean {
    const need = this.#o.cfg.health.dnsFailRounds;
    if (this.#dnsFails < need) return false;
    if (this.#dnsFails < this.#unlikelyRun(1e-4)) return false;
    for (const t of this.#targets) if (t.target.kind === "dns") return true;
    return false;
  }

  #issue(now: number): QualityIssue {
    const h = this.#o.cfg.health;
    if (this.#dnsBroken()) return "dns";
    if (this.#est.samples >= h.lossWindow / 2 && this.#est.lossPct >= h.lossDegradedPct) return "loss";
    if (this.#rttHighSince !== null && now - this.#rttHighSince >= h.rttSustainMs) return "rtt";
    return null;
  }

  #issueLingers(): boolean {
    const h = this.#o.cfg.health;
    return this.#dnsBroken() || this.#est.lossPct > h.lossRecoveredPct || this.#rttHighSince !== null;
  }

  #evaluate(): void {
    const now = this.#o.clock.now();
    const lingers = this.#issueLingers();
    // The issue lasted until now, or until this moment it was first seen gone: a standby link,
    // evaluated only every probe interval, must also wait out recoverMs from that moment.
    if (lingers || this.#lingered) this.#lastIssueAt = now;
    this.#lingered = lingers;
    const facts: LinkFacts = {
      now,
      carrier: this.#carrier,
      silent: this.#silent,
      okStreak: this.#okStreak,
      issue: this.#issue(now),
      issueLingers: lingers,
      lastIssueAt: this.#lastIssueAt,
    };
    const step = nextLinkState(this.#state, facts, this.#limits);
    if (!step) return;
    const from = this.#state;
    this.#state = step.to;
    this.#since = now;
    if (step.to === "down") this.#enterDown();
    else if (from === "down") this.#leaveDown();
    this.#o.onStep(this, from, step);
  }

  #enterDown(): void {
    this.#stopPoll();
    this.#watchTraffic.idle();
    this.#est.resetLoss();
    this.#dnsFails = 0;
    this.#silent = false;
    this.#okStreak = 0;
    this.#suspect = this.#confirming = false;
    this.#rttHighSince = null;
    this.#stopFast();
    this.#clearSilence();
    if (this.#carrier && !this.#stopped) this.#schedule(this.#interval());
  }

  #leaveDown(): void {
    this.#confirming = false;
    this.#stopFast();
    this.#downSilenceFrom = null;
    if (this.#carrier && !this.#stopped) this.#schedule(this.#interval());
  }

  #abandonAll(): void {
    for (const s of this.#slots) {
      if (!s.busy) continue;
      s.busy = false;
      s.token++;
      this.#o.budget.release();
    }
  }
}

const STUCK: ProbeResult = { ok: false, rttMs: 0, reason: "timeout" };
