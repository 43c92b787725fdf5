// The silence of a link: since when nothing has come back from it, and what was overdue within it.
//
// Liveness is judged by silence, not by per-probe timeouts. Any reply, however late, proves the
// path forwards; the link is silent from the send time of the first probe still unanswered since
// the last reply (or, when users' packets go unanswered, from their last arrival). A silence that
// ends is remembered as the last gap, so a resolver asked inside it is not blamed for it.
import type { DeviceConfig } from "../config/config";
import type { PathEstimator } from "./estimator";
import type { GapTolerance } from "./gap-tolerance";
import type { ProbeSlot } from "./probe-slots";

/**
 * More room for a silence dated from the users' last packet than the floor gives one dated by a
 * probe. A 1 s gap (a cellular handover) seen in the users' stream lasts its full second plus a
 * packet's spacing, and must stay under the tolerance; a dead link must still cost the users no
 * more than about 1.5 s with the counters' 100 ms polling and the switch itself: 900 + 300 ms.
 */
const TRAFFIC_DATED_MARGIN_MS = 300;

export class Silence {
  /** Send time of the first probe unanswered since the last reply (null: nothing outstanding). */
  since: number | null = null;
  /** The silence is dated from the users' last arrival, not from an unanswered probe. */
  datedByTraffic = false;
  /** Probes that expired unanswered within it, and their targets (bits). */
  expired = 0;
  targets = 0;
  /** Of those, probes other than to resolvers. */
  other = 0;
  /** Where the silence that made the link down began (to learn from it if it was only a gap). */
  downFrom: number | null = null;
  /** A probe sent within the silence listens until it is judged. */
  #listening = false;
  #gapFrom = 0;
  #gapTo = -1;
  /** The last silence that ended, and how many probes went unanswered in it. */
  #lastFrom = 0;
  #lastTo = -1;
  #lastLost = 0;
  #cfg: DeviceConfig;
  #gaps: GapTolerance;
  #est: PathEstimator;

  constructor(cfg: DeviceConfig, gaps: GapTolerance, est: PathEstimator) {
    this.#cfg = cfg;
    this.#gaps = gaps;
    this.#est = est;
  }

  /** How long this link may now stay silent before it is down. */
  toleranceMs(now: number): number {
    const gap = this.#gaps.valueMs(now);
    // A long path needs room for its own round trips whatever its gap history.
    const rtt = 2 * this.#est.rtoMs;
    return gap > rtt ? gap : rtt;
  }

  /**
   * The tolerance for the silence now going on. A silence dated by an unanswered probe begins up to
   * a probe interval after the link last proved itself, one dated by the users' last arrival at
   * that very moment, so the same gap reads longer: such a silence is given TRAFFIC_DATED_MARGIN_MS
   * more than the floor, and a link whose history earned it room gets back, in proportion, the half
   * interval a probe-dated silence has on average, so its gaps are not judged longer for being
   * seen sooner.
   */
  toleranceNowMs(now: number): number {
    let t = this.toleranceMs(now);
    if (!this.datedByTraffic) return t;
    const h = this.#cfg.health;
    if (t < h.silenceMinMs + TRAFFIC_DATED_MARGIN_MS) t = h.silenceMinMs + TRAFFIC_DATED_MARGIN_MS;
    const room = h.silenceMaxMs - h.silenceMinMs;
    const earned = this.#gaps.valueMs(now) - h.silenceMinMs;
    if (room <= 0 || earned <= 0) return t;
    return t + (this.#cfg.probe.intervalMs / 2) * (earned < room ? earned / room : 1);
  }


  /**
   * How long a probe sent now waits. A fast probe only has to cover the path's RTT; the first
   * unanswered probe listens until the link would be called down, so a late reply is still heard;
   * a down link's probes wait longest.
   */
  probeTimeoutMs(now: number, down: boolean): number {
    const p = this.#cfg.probe, est = this.#est;
    if (down) return est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs, 3);
    if (this.since === null) return est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs, 1, this.toleranceMs(now));
    if (!this.#listening) {
      // No probe listens until this silence is judged (it is dated by the users' last arrival,
      // or carried over from fast probes still out when the last one ended): the first sent in it
      // does, so a path that only got slower (their packets late, not lost; an upload's queue
      // still filling) is heard before it is called down.
      this.#listening = true;
      const left = this.since + this.toleranceNowMs(now) - now;
      if (left > est.rtoMs) return est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs, 1, left);
    }
    return est.timeoutMs(p.minTimeoutMs, p.maxTimeoutMs, 2);
  }

  /**
   * The earliest send time of a probe the silence holds against the link. Dated by an unanswered
   * probe: that probe. Dated by the users' last arrival: a probe sent up to an RTT before it was
   * due to be answered after it, and nothing came (on a 600 ms satellite path a probe sent 10 ms
   * before the last arrival was left out, and held its socket for 3 s, so the down waited 2 s more).
   */
  get from(): number {
    const since = this.since as number;
    return this.datedByTraffic ? since - this.#est.srttMs : since;
  }

  /** A new silence from `at`, nothing overdue in it yet. */
  begin(at: number, byTraffic: boolean): void {
    this.since = at;
    // Dated by a probe: that probe listens until the judgement (probeTimeoutMs).
    this.#listening = !byTraffic;
    this.datedByTraffic = byTraffic;
    this.expired = 0;
    this.other = 0;
    this.targets = 0;
  }

  clear(): void {
    this.since = null;
    this.#listening = false;
    this.datedByTraffic = false;
    this.other = 0;
    this.expired = 0;
    this.targets = 0;
  }

  /**
   * A probe sent at `sentAt` expired after waiting `waitedMs`; it counts if it was sent within
   * this silence and waited as long as the path now takes. One that waited less (sent before a
   * late reply raised the RTO, as the queue of an upload fills) may still have had its answer on
   * the way; one that waited the longest any may (maxTimeoutMs) counts whatever the RTO.
   */
  expiredProbe(sentAt: number, waitedMs: number, bit: number, resolver: boolean): void {
    if (this.since === null || sentAt < this.from) return;
    const rto = this.#est.rtoMs, longest = this.#cfg.probe.maxTimeoutMs;
    if (waitedMs + 1 < (rto < longest ? rto : longest)) return;
    this.expired++;
    this.targets |= bit;
    if (!resolver) this.other++;
  }

  /**
   * The silence ended at `to`. If it was a gap (the users' packets or other probes than resolvers
   * went unanswered in it too), resolvers asked inside it were not heard for that reason alone.
   */
  ended(to: number, slots: readonly ProbeSlot[], now: number, rto: number): void {
    const from = this.from;
    this.#lastFrom = from;
    this.#lastTo = to;
    this.#lastLost = this.#lost(from, slots, now, rto);
    if (this.#lossBeyondResolvers(from, slots, now, rto)) {
      this.#gapFrom = from;
      this.#gapTo = to;
    }
    this.clear();
    // Probes sent after the end and still out start the next silence.
    for (const s of slots) {
      if (s.busy && s.sentAt > to && (this.since === null || s.sentAt < this.since)) this.since = s.sentAt;
    }
  }

  /** Sent while nothing came back from the link at all (a gap still going on, or the last one). */
  holds(sentAt: number, slots: readonly ProbeSlot[], now: number, rto: number): boolean {
    if (this.since !== null && sentAt >= this.from && this.#lossBeyondResolvers(this.from, slots, now, rto)) return true;
    return sentAt >= this.#gapFrom && sentAt <= this.#gapTo;
  }

  /**
   * A probe sent at `sentAt` (just expired, its slot free) was not alone: another probe went
   * unanswered in the same silence, the one going on or the last that ended.
   */
  lostBeside(sentAt: number, slots: readonly ProbeSlot[], now: number, rto: number): boolean {
    if (this.since !== null && sentAt >= this.from) return this.#lost(this.from, slots, now, rto) >= 1;
    return sentAt >= this.#lastFrom && sentAt <= this.#lastTo && this.#lastLost >= 2;
  }

  /**
   * Probes expired, or out longer than `rto`, since `from` (within the silence going on); their
   * targets in `#lostTargets`.
   */
  #lost(from: number, slots: readonly ProbeSlot[], now: number, rto: number): number {
    let n = this.expired, bits = this.targets;
    for (const s of slots) {
      if (s.busy && s.sentAt >= from && now - s.sentAt >= rto) {
        n++;
        bits |= (s.target as NonNullable<ProbeSlot["target"]>).bit;
      }
    }
    this.#lostTargets = bits;
    return n;
  }
  #lostTargets = 0;

  /** Probes overdue now (expired, or out longer than `rto`) within the silence; their targets in `overdueTargets`. */
  overdue(slots: readonly ProbeSlot[], now: number, rto: number): number {
    const n = this.#lost(this.from, slots, now, rto);
    this.overdueTargets = this.#lostTargets;
    return n;
  }

  /** Targets of the probes the last overdue() counted. */
  overdueTargets = 0;

  /** More than resolvers went unanswered since `from`: the users' packets, or another probe. */
  #lossBeyondResolvers(from: number, slots: readonly ProbeSlot[], now: number, rto: number): boolean {
    return this.datedByTraffic || this.#otherLossIn(from, slots, now, rto);
  }

  /** A probe other than a resolver, sent since `from`, expired or is overdue. */
  #otherLossIn(from: number, slots: readonly ProbeSlot[], now: number, rto: number): boolean {
    if (this.other > 0) return true;
    for (const s of slots) {
      if (s.busy && s.sentAt >= from && now - s.sentAt >= rto && (s.target as NonNullable<ProbeSlot["target"]>).target.kind !== "dns") return true;
    }
    return false;
  }
}
