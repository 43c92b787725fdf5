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

  constructor(health: DeviceConfig["health"], est: PathEstimator, hasDns: boolean) {
    this.#h = health;
    this.#est = est;
    this.#hasDns = hasDns;
  }

  /**
   * A reply: its RTT, and for a baseline probe to other than a resolver, the loss window. Only a
   * DNS answer (`sentAs` the probe's own kind) proves DNS; an echo sent in its place does not.
   */
  replied(kind: ProbeKind, baseline: boolean, rttMs: number, now: number, sentAs: ProbeKind = kind): void {
    // The loss window counts what its misses count: baseline probes, resolvers aside.
    this.#est.reply(rttMs, baseline && kind !== "dns");
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
    if (this.#est.samples >= h.lossWindow / 2 && this.#est.lossPct >= h.lossDegradedPct) return "loss";
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
    this.dnsFails = 0;
    this.#rttHighSince = null;
  }
}
