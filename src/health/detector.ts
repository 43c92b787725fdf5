// The detector: is this link silent, and since when. One handler per phase (as FRRouting's bfdd
// keeps one per BFD state), every phase change named:
//
//   watching   --overdue-------->  suspect      the first unanswered probe outlived its RTO
//   watching   --users-waiting-->  suspect      users' packets went out, nothing came back
//   watching   --reprobe-------->  suspect      the watchdog or the fleet asked for a look
//   suspect    --answered------->  watching     a reply (or arriving traffic) ended the silence
//   suspect    --silent--------->  down         see below; the only way silence makes a link down
//   down       --reply---------->  confirming   a reply: probe fast until upSuccesses in a row
//   confirming --missed--------->  down         a probe expired: back to down's slow probing
//   confirming --recovered------>  watching     link-state.ts called the link up (or degraded)
//   any        --carrier-lost--->  down
//
// While suspect the link is probed fast, rotating over the targets, so the end of a gap is seen
// within a fast interval. It is silent, and down, only once the silence outlasts its tolerance
// (learned from the gaps this link recovered from, see gap-tolerance.ts) and enough probes to more
// than one target are overdue: so many that random loss at the measured rate would miss them all
// with probability below 1e-9. The first unanswered probe keeps listening until that moment, so a
// reply that is merely late still counts. That down carries its evidence (DownEvidence).
import type { DeviceConfig } from "../config/config";
import type { Cadence } from "./cadence";
import type { PathEstimator } from "./estimator";
import type { GapTolerance } from "./gap-tolerance";
import type { DownEvidence } from "./link-state";
import type { ProbeSlot, ProbeSlots } from "./probe-slots";
import { Silence } from "./silence";
import type { TargetSet, TargetStatus } from "./targets";

export type Phase = "watching" | "suspect" | "down" | "confirming";

export type PhaseChange =
  | "overdue" | "users-waiting" | "reprobe" | "answered" | "silent" | "reply" | "missed" | "recovered" | "carrier-lost";

/** A silence longer than this that ends is an outage that ended, not a gap to tolerate next time. */
const GAP_LEARN_MAX_FACTOR = 4;

/** Misses by chance this unlikely are not chance: a link suspected every few seconds for a day must not be called down once. */
const SILENT_BY_CHANCE = 1e-9;

/**
 * The same when the users' own packets went out and nothing came back: a stream of them falling
 * silent is no chance loss (at 10 % loss, 50 packets/s are not all lost for a second once in
 * 1e50), so the probes are left to rule out only that the far end stopped talking just then: on a
 * path losing up to 14 %, three overdue to two targets do. Asking for more costs a second round of
 * probes (their slots are held for two RTOs), and on a jittery lossy path that put a blackhole
 * beyond 3.5 s for the users.
 */
const SILENT_BY_CHANCE_WITH_USERS = 0.02;

export interface DetectorParts {
  cfg: DeviceConfig;
  est: PathEstimator;
  gaps: GapTolerance;
  slots: ProbeSlots;
  targets: TargetSet;
  cadence: Cadence;
  now(): number;
  /** Start fast probing (the monitor sends the first fast probe at once). */
  startFast(): void;
  /** The silence went on long enough: decide the link's state now. */
  decide(): void;
  /** A silence ended without the link going down (users saw it stall that long). */
  stalled(ms: number): void;
  /** Every phase change, named (for tests and traces). */
  changed?(from: Phase, to: Phase, why: PhaseChange): void;
}

/** What a phase does on each event; an event a phase leaves out changes nothing in it. */
interface PhaseHandler {
  reply?(d: Detector, slot: ProbeSlot, now: number): void;
  expired?(d: Detector): void;
  watchDue?(d: Detector, now: number): void;
  arrived?(d: Detector, now: number, at: number): void;
  usersWaiting?(d: Detector, from: number, earlier: boolean): void;
  reprobe?(d: Detector): void;
}

export class Detector {
  readonly silence: Silence;
  #x: DetectorParts;
  #phase: Phase;
  /** Filled when the silence made the link down, until it is down. */
  #evidence: DownEvidence = { silentMs: 0, toleranceMs: 0, overdue: 0, targets: 0, datedBy: "probe" };
  #silent = false;

  constructor(parts: DetectorParts, down: boolean) {
    this.#x = parts;
    this.silence = new Silence(parts.cfg, parts.gaps, parts.est);
    this.#phase = down ? "down" : "watching";
  }

  get phase(): Phase { return this.#phase; }
  /** Fast probing is wanted (suspect, or confirming a recovery). */
  get fast(): boolean { return this.#phase === "suspect" || this.#phase === "confirming"; }
  /**
   * Probes worth having out at once while probing fast. A silence dated by an unanswered probe
   * asks for many overdue on a lossy path (#needOverdue: 12 at 10 % loss), and only echoes in
   * flight together gather them soon: every slot. One dated by the users' waiting packets asks
   * for few (three to two targets on a clean path, four at 10 % loss): as many as it asks, and
   * no fewer than the probe sockets. More out at once would only reach that count before the late
   * reply of a path that merely got slower (RTT steps under users' traffic: 2.61 switches/h with
   * 12 in flight, 1.26 with 3); fewer leaves the last one waiting for a slot, two RTOs (a
   * blackhole on a 10 %-loss jittery primary under a call: 4.1 s with 3, for four asked).
   */
  get fastInFlight(): number {
    if (!this.silence.datedByTraffic) return this.#x.slots.size;
    const need = this.#needOverdue(), sockets = this.#x.cfg.probe.maxInFlight;
    return need > sockets ? need : sockets;
  }

  /** The evidence the link is silent, once it is (null until then and once it is down). */
  get evidence(): DownEvidence | null { return this.#silent ? this.#evidence : null; }

  // ---- events, each handed to the current phase ----

  /** A probe was sent at `now` on a link that is not down: it may start a silence. */
  sent(now: number): void {
    if (this.silence.since !== null) return;
    this.silence.begin(now, false);
    this.armWatch();
  }

  replied(slot: ProbeSlot, now: number): void { HANDLERS[this.#phase].reply?.(this, slot, now); }
  expired(slot: ProbeSlot, t: TargetStatus): void {
    HANDLERS[this.#phase].expired?.(this);
    this.silence.expiredProbe(slot.sentAt, slot.timeoutMs, t.bit, t.target.kind === "dns");
  }
  /** The watch timer fired. */
  watchDue(now: number): void {
    if (this.silence.since === null) return;
    HANDLERS[this.#phase].watchDue?.(this, now);
  }
  /** Users' packets arrived at `at`, after the silence began. */
  arrived(now: number, at: number): void { HANDLERS[this.#phase].arrived?.(this, now, at); }
  /** Users' packets have gone unanswered since `from`. */
  usersWaiting(from: number): void {
    const s = this.silence;
    const earlier = s.since === null || from < s.since;
    if (s.since === null) s.begin(from, true);
    else if (earlier) {
      s.since = from;
      s.datedByTraffic = true;
    }
    HANDLERS[this.#phase].usersWaiting?.(this, from, earlier);
  }
  reprobe(): void { HANDLERS[this.#phase].reprobe?.(this); }
  /** The probe in `slot`, just expired, went unanswered within a silence where others did too. */
  inBurst(slot: ProbeSlot): boolean {
    const x = this.#x;
    return this.silence.lostBeside(slot.sentAt, x.slots.all, x.now(), x.est.rtoMs);
  }

  /** A sent probe was sent within the silence (or the last gap): it says nothing of its target. */
  sentInSilence(sentAt: number): boolean {
    return this.silence.holds(sentAt, this.#x.slots.all, this.#x.now(), this.#x.est.rtoMs);
  }

  carrierLost(): void {
    this.#clearSilence();
    this.#to(this.#phase === "down" || this.#phase === "confirming" ? "down" : "watching", "carrier-lost");
  }

  /** link-state.ts called the link down. */
  enteredDown(): void {
    this.#silent = false;
    this.#x.cadence.stopFast();
    this.#clearSilence();
    this.#to("down", this.#phase === "suspect" ? "silent" : "carrier-lost");
  }

  /** link-state.ts called the link up or degraded again. */
  leftDown(): void {
    this.#to("watching", "recovered");
    this.#x.cadence.stopFast();
    this.silence.downFrom = null;
  }

  // ---- what the handlers share ----

  to(phase: Phase, why: PhaseChange): void { this.#to(phase, why); }

  #to(phase: Phase, why: PhaseChange): void {
    const from = this.#phase;
    if (from === phase) return;
    this.#phase = phase;
    this.#x.changed?.(from, phase, why);
  }

  /** Wake when the first unanswered probe is overdue (suspect), then when the tolerance runs out. */
  armWatch(): void {
    const x = this.#x;
    const since = this.silence.since;
    if (since === null) return x.cadence.cancelWatch();
    const due = since + (this.#phase === "suspect" ? this.silence.toleranceNowMs(x.now()) : x.est.rtoMs);
    const now = x.now();
    // Whole milliseconds, at least one: a due time equal to now must not spin the clock.
    x.cadence.watchIn(due > now ? Math.max(1, Math.ceil(due - now)) : 0);
  }

  /** A reply while down: probe fast until link-state.ts has seen enough replies in a row. */
  confirm(): void {
    this.#to("confirming", "reply");
    this.#x.startFast();
  }

  suspect(why: PhaseChange): void {
    this.#to("suspect", why);
    this.#x.startFast();
  }

  /** The silence ended at `at` (a reply to a probe sent then, or users' packets arriving). */
  endSilence(now: number, at: number, stalledMs: number | null): void {
    const x = this.#x;
    if (stalledMs !== null) x.stalled(stalledMs);
    this.silence.ended(at, x.slots.all, now, x.est.rtoMs);
    x.cadence.cancelWatch();
  }

  /** No longer suspect: targets that kept missing while the link answered are dead themselves. */
  answered(now: number): void {
    this.#to("watching", "answered");
    this.#x.targets.setAsideDead(now);
  }

  /** The silence outlasted its tolerance: silent once enough evidence is overdue, else look again soon. */
  judge(now: number): void {
    const x = this.#x, s = this.silence;
    const since = s.since as number;
    const tolerance = this.silence.toleranceNowMs(now);
    if (now < since + tolerance) return this.armWatch();
    const rto = x.est.rtoMs;
    const overdue = s.overdue(x.slots.all, now, rto);
    if (overdue < this.#needOverdue() || !x.targets.spans(s.overdueTargets)) {
      x.cadence.watchIn(x.cfg.probe.fastIntervalMs);
      return;
    }
    const e = this.#evidence;
    e.silentMs = now - since;
    e.toleranceMs = tolerance;
    e.overdue = overdue;
    e.targets = x.targets.count(s.overdueTargets);
    e.datedBy = s.datedByTraffic ? "traffic" : "probe";
    this.#silent = true;
    s.downFrom = since;
    x.decide();
  }

  /** A reply while down: if the silence that made it down was only a gap, learn from its length. */
  learnFromDown(now: number): void {
    const s = this.silence;
    if (s.downFrom === null) return;
    const silence = now - s.downFrom;
    s.downFrom = null;
    if (silence <= GAP_LEARN_MAX_FACTOR * this.#x.cfg.health.silenceMaxMs) this.#x.gaps.recovered(now, silence);
  }

  /**
   * Overdue probes that make silence more than bad luck. On a lossy path each probe misses with
   * about the measured loss rate (plus late replies), so beyond the first miss that started the
   * suspicion ask for enough that all of them missing by chance is below SILENT_BY_CHANCE.
   */
  #needOverdue(): number {
    const base = this.#x.cfg.probe.confirmProbes;
    const n = 1 + this.#x.est.unlikelyRun(this.silence.datedByTraffic ? SILENT_BY_CHANCE_WITH_USERS : SILENT_BY_CHANCE);
    return n > base ? n : base;
  }

  #clearSilence(): void {
    this.silence.clear();
    this.#x.cadence.cancelWatch();
  }
}

/** A reply to a probe the silence holds against the link ends it. */
function replyEnds(d: Detector, slot: ProbeSlot): boolean {
  return d.silence.since !== null && slot.sentAt >= d.silence.from;
}

const HANDLERS: Record<Phase, PhaseHandler> = {
  watching: {
    reply(d, slot, now) {
      if (replyEnds(d, slot)) d.endSilence(now, slot.sentAt, null);
      d.armWatch();
    },
    watchDue(d) {
      d.suspect("overdue");
      d.armWatch();
    },
    arrived(d, now, at) {
      d.endSilence(now, at, null);
      d.armWatch();
    },
    usersWaiting(d) {
      d.suspect("users-waiting");
      d.armWatch();
    },
    reprobe(d) { d.suspect("reprobe"); },
  },
  suspect: {
    reply(d, slot, now) {
      if (replyEnds(d, slot)) d.endSilence(now, slot.sentAt, now - (d.silence.since as number));
      d.answered(now);
      d.armWatch();
    },
    watchDue(d, now) { d.judge(now); },
    arrived(d, now, at) {
      d.endSilence(now, at, at - (d.silence.since as number));
      d.answered(now);
      d.armWatch();
    },
    usersWaiting(d, _from, earlier) {
      if (earlier) d.armWatch();
    },
  },
  down: {
    reply(d, _slot, now) {
      d.learnFromDown(now);
      d.confirm();
    },
  },
  confirming: {
    reply(d, _slot, now) { d.learnFromDown(now); },
    expired(d) { d.to("down", "missed"); },
  },
};
