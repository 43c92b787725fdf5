// How good a working link is, with hysteresis: windowed statistics that may make a link degraded,
// never down. Loss over the last baseline probes (the estimator's window), RTT only when it stays
// above rttDegradedMs for rttSustainMs, DNS when every resolver keeps failing more often than the
// link's own loss explains. An issue is entered at the degraded thresholds and left only below the
// (looser) recovered ones, and only after recoverMs without it (the decision in link-state.ts).
import type { ProbeKind } from "../ports";
import type { DeviceConfig } from "../config/config";
import type { PathEstimator } from "./estimator";
import type { QualityIssue } from "./link-state";

/**
 * Baseline misses in a row, with not one reply between them, after which a miss on a link the
 * users' packets prove is the targets' silence (a filter, a dead resolver farm), not the path's
 * loss. A path that loses even 70 % answers within 8 probes 94 % of the time.
 */
const TARGETS_SILENT_RUN = 8;

/**
 * Answers of the dearer kinds (TCP, DNS, HTTP) kept while the echoes lose more than the recovered
 * line: an echo loss they make less likely than ECHO_ONLY_P is the echoes' own (an ISP that
 * rate-limits or drops ICMP), not the path's, and no reason to leave a link users' packets cross.
 * Ten answers in a row make 40 % loss that unlikely (0.6^10 = 0.6 %).
 */
const OTHERS_KEPT = 10;
const ECHO_ONLY_P = 0.01;

export class Quality {
  /** Resolver probes failed since one last answered. */
  dnsFails = 0;
  /** When a DNS probe last succeeded / failed on this link. */
  dnsOkAt = -Infinity;
  dnsFailAt = -Infinity;
  #h: DeviceConfig["health"];
  #est: PathEstimator;
  #hasDns: boolean;
  #rttHighSince: number | null = null;
  #lastIssueAt = -Infinity;
  #lingered = false;
  /** Baseline misses since the last reply of any probe. */
  #missRun = 0;
  /** The dearer kinds' last outcomes while the loss is above the recovered line (1: a miss). */
  #others = new Uint8Array(OTHERS_KEPT);
  #othersN = 0;
  #othersNext = 0;
  #othersMissed = 0;
  /** There are targets of a dearer kind to check the echoes' loss against. */
  #canCheck: () => boolean;

  constructor(health: DeviceConfig["health"], est: PathEstimator, hasDns: boolean, canCheck: () => boolean = () => false) {
    this.#h = health;
    this.#est = est;
    this.#hasDns = hasDns;
    this.#canCheck = canCheck;
  }

  /**
   * A reply: its RTT, and for a baseline probe to other than a resolver, the loss window. Only a
   * DNS answer (`sentAs` the probe's own kind) proves DNS; an echo sent in its place does not.
   */
  replied(kind: ProbeKind, baseline: boolean, rttMs: number, now: number, sentAs: ProbeKind = kind): void {
    // The loss window counts what its misses count: baseline probes, resolvers aside.
    this.#est.reply(rttMs, baseline && kind !== "dns");
    if (baseline && kind !== "icmp" && sentAs === kind) this.#other(0);
    else this.#keepOthers();
    this.#missRun = 0;
    if (sentAs === "dns") {
      this.dnsFails = 0;
      this.dnsOkAt = now;
    }
    this.trackRtt(now);
  }

  /**
   * A probe expired. Loss is about packets: a dead target, a link already down, or a resolver that
   * fails while the path answers (DNS health is tracked on its own) says nothing about it; nor do
   * misses past TARGETS_SILENT_RUN on a link the users' traffic proves (`busy`).
   */
  missed(kind: ProbeKind, baseline: boolean, deadTarget: boolean, down: boolean, busy: boolean, inBurst = false): void {
    if (baseline && !deadTarget && !down && kind !== "dns" && (this.#missRun++ < TARGETS_SILENT_RUN || !busy)) this.#est.miss(inBurst);
    if (baseline && !deadTarget && !down && kind !== "icmp") this.#other(1);
    else this.#keepOthers();
  }

  /**
   * The loss is high enough to leave for, and the dearer kinds have not answered often enough yet
   * to say whether they lose as much: ask them (every dnsRecheckMs) before judging.
   */
  get lossInDoubt(): boolean {
    return this.#lossHigh() && this.#othersN < OTHERS_KEPT && this.#canCheck();
  }

  #lossHigh(): boolean {
    return this.#est.samples >= this.#h.lossWindow / 2 && this.#est.lossPct >= this.#h.lossDegradedPct;
  }

  /** The loss the window measures is the path's: the dearer kinds lose about as much (or cannot be asked). */
  #lossShared(): boolean {
    if (!this.#canCheck()) return true;
    if (this.#othersN < OTHERS_KEPT) return false;
    return binomialAtMost(this.#othersMissed, OTHERS_KEPT, this.#est.lossPct / 100) >= ECHO_ONLY_P;
  }

  #other(missed: 0 | 1): void {
    if (!this.#keepOthers()) return;
    if (this.#othersN === OTHERS_KEPT) this.#othersMissed -= this.#others[this.#othersNext];
    else this.#othersN++;
    this.#others[this.#othersNext] = missed;
    this.#othersMissed += missed;
    this.#othersNext = (this.#othersNext + 1) % OTHERS_KEPT;
  }

  /** Only answers given while the loss is above the recovered line are kept; false (and forgotten) otherwise. */
  #keepOthers(): boolean {
    if (this.#est.lossPct > this.#h.lossRecoveredPct) return true;
    this.#othersN = this.#othersNext = this.#othersMissed = 0;
    return false;
  }

  /** A resolver failed while the link answered. True while DNS is not judged yet: ask again soon. */
  dnsFailed(now: number): boolean {
    this.dnsFails++;
    this.dnsFailAt = now;
    return !this.dnsBroken();
  }

  /** After each reply: when the smoothed RTT went above the degraded line (null: below recovered). */
  trackRtt(now: number): void {
    const h = this.#h;
    const srtt = this.#est.srttMs;
    if (srtt >= h.rttDegradedMs) {
      if (this.#rttHighSince === null) this.#rttHighSince = now;
    } else if (srtt < h.rttRecoveredMs) {
      this.#rttHighSince = null;
    }
  }

  /** Every resolver keeps failing, more often than the link's own loss explains. */
  dnsBroken(): boolean {
    if (this.dnsFails < this.#h.dnsFailRounds) return false;
    if (this.dnsFails < this.#est.unlikelyRun(1e-4)) return false;
    return this.#hasDns;
  }

  /** Resolvers fail but DNS is not judged yet: ask only them, and soon. */
  get dnsInDoubt(): boolean { return this.dnsFails > 0 && !this.dnsBroken(); }

  /** The issue measured now, by the entry thresholds. */
  issue(now: number): QualityIssue {
    const h = this.#h;
    if (this.dnsBroken()) return "dns";
    if (this.#lossHigh() && this.#lossShared()) return "loss";
    if (this.#rttHighSince !== null && now - this.#rttHighSince >= h.rttSustainMs) return "rtt";
    return null;
  }

  /**
   * Whether an issue lingers by the exit thresholds, noting when it was last seen: until now, or
   * until the moment it was first seen gone (a standby link, looked at only every probe interval,
   * must also wait out recoverMs from that moment).
   */
  lingers(now: number): boolean {
    const h = this.#h;
    const lingers = this.dnsBroken() || this.#est.lossPct > h.lossRecoveredPct || this.#rttHighSince !== null;
    if (lingers || this.#lingered) this.#lastIssueAt = now;
    this.#lingered = lingers;
    return lingers;
  }

  get lastIssueAt(): number { return this.#lastIssueAt; }

  /** The link went down: what was measured before says nothing of it once it is back. */
  reset(): void {
    this.#est.resetLoss();
    this.#othersN = this.#othersNext = this.#othersMissed = 0;
    this.dnsFails = 0;
    this.#rttHighSince = null;
  }
}

/** P(at most `k` of `n` independent trials fail) when each fails with `p`. */
export function binomialAtMost(k: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  let term = Math.pow(1 - p, n), sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return sum > 1 ? 1 : sum;
}
