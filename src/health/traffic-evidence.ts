// Users' traffic as evidence of a link (read from the interface counters by traffic-watch.ts):
// packets that arrive prove the path like a reply does; users' packets going out with nothing back
// for longer than their usual spacing make the link suspect at once, with the silence dated from
// the last arrival. While users' packets flow on the active link its counters are read every
// pollMs; once the link's RTT is also known well, baseline probing slows to busyIntervalMs (see
// LinkMonitor's interval). Suspicion needs only the flow: it costs fast probes, never a verdict.
import type { Traffic } from "../ports";
import type { DeviceConfig } from "../config/config";
import type { Cadence } from "./cadence";
import type { Detector } from "./detector";
import type { PathEstimator } from "./estimator";
import { TrafficWatch } from "./traffic-watch";

/**
 * Baseline replies before traffic may slow probing: the RTO (and with it the gap tolerance of a long
 * path) rests on the RTT variance, which takes a few samples to settle from its first guess.
 */
const BUSY_MIN_SAMPLES = 16;

export interface TrafficEvidenceParts {
  cfg: DeviceConfig;
  est: PathEstimator;
  cadence: Cadence;
  detector: Detector;
  /** The link carries the users' traffic. */
  active(): boolean;
  /** The link may be judged (carrier, not down, monitor running). */
  judging(): boolean;
  /** The baseline probe interval as it stands now. */
  interval(): number;
}

export class TrafficEvidence {
  /** Probe replies since the last poll: the monitor's own packets, not the users'. */
  ownReplies = 0;
  /** busy as the last poll found it (the baseline interval follows its changes). */
  #busy = false;
  #w: TrafficWatch;
  #x: TrafficEvidenceParts;

  constructor(traffic: Traffic, link: string, parts: TrafficEvidenceParts) {
    this.#w = new TrafficWatch(traffic, link);
    this.#x = parts;
  }

  /** Users' packets per second arriving over this link (0 unless it carries their traffic). */
  get rxPps(): number { return this.#w.rxPps; }

  /** Users' packets flow on this link often enough that their absence is noticed within a poll or two. */
  get flowing(): boolean {
    return this.#x.active() && this.#w.rxPps >= this.#x.cfg.passive.busyRxPps;
  }

  /** Users' traffic proves the link: probing may slow down (once the path's RTT is known well). */
  get busy(): boolean {
    return this.flowing && this.#x.est.samples >= BUSY_MIN_SAMPLES;
  }

  /** The link stopped carrying users (it lost the default route or went down). */
  idle(): void {
    this.#busy = false;
    this.#x.cadence.stopPoll();
    this.#w.idle();
  }

  /** Read the counters: arrivals prove the path; users waiting on nothing make the link suspect. */
  poll(now: number): void {
    const w = this.#w, x = this.#x, c = x.cadence, silence = x.detector.silence;
    const replies = this.ownReplies;
    this.ownReplies = 0;
    if (!w.poll(now, replies)) return;
    const flowing = this.flowing, busy = this.busy, wasBusy = this.#busy;
    this.#busy = busy;
    if (flowing && !c.polling) c.startPoll(x.cfg.passive.pollMs);
    // Proven by traffic: the next baseline probe may wait the longer interval.
    if (busy && !wasBusy) c.baselineIn(x.interval());
    if (!flowing && c.polling && silence.since === null) c.stopPoll();
    // Users went quiet: probes are the evidence again, at the full rate.
    if (!busy && wasBusy && c.nextAt > now + x.interval()) c.baselineIn(x.interval());
    if (!x.judging()) return;
    if (w.received && silence.since !== null && w.lastRxAt >= silence.since) {
      x.detector.arrived(now, w.lastRxAt);
    } else if (flowing && w.waitingMs(now) >= w.quietMs(x.cfg.passive.quietPackets, x.est.srttMs)) {
      // Users' packets go unanswered: the link is silent since the last arrival (earlier than any
      // unanswered probe says), and worth a closer look now.
      x.detector.usersWaiting(w.lastRxAt >= 0 ? w.lastRxAt : now - w.waitingMs(now));
    }
  }
}
