// Per-link path estimate from probe outcomes: smoothed RTT and variance (RFC 6298), interarrival
// jitter (RFC 3550 6.4.1, on RTTs), a slowly decaying RTT peak, and loss over the last `window`
// baseline probes (fast probes sent while a link is suspect would count one gap many times, so
// they feed the RTT only). Fixed-size state:
// nothing is allocated per sample, so the heap stays flat for the life of the device.

export class PathEstimator {
  #srtt = 0;
  #rttvar = 0;
  #jitter = 0;
  #lastRtt = -1;
  #peak = 0;
  #outcomes: Uint8Array;
  #next = 0;
  #filled = 0;
  #lost = 0;
  /** Of the lost, those missed alone (not within a silence where other probes also went unanswered). */
  #scattered = 0;
  #longLoss = 0;
  #longScattered = 0;

  constructor(window: number) {
    this.#outcomes = new Uint8Array(window);
  }

  get srttMs(): number { return this.#srtt; }
  get jitterMs(): number { return this.#jitter; }
  get samples(): number { return this.#filled; }

  /** Loss over the window, 0..100. */
  get lossPct(): number {
    return this.#filled === 0 ? 0 : (100 * this.#lost) / this.#filled;
  }

  /**
   * How long a probe waits for its reply: `rtos` RTOs plus `extraMs`, in whole ms within
   * [min, max]. The RTO (below) is held at 1.5 x the recent RTT peak, so heavy-tailed queueing delay
   * does not read as loss; clean paths end at `min`, which keeps detection fast where it can be.
   */
  timeoutMs(min: number, max: number, rtos = 1, extraMs = 0): number {
    const wait = (rtos === 1 ? this.rtoMs : rtos * this.rtoMs) + extraMs;
    return wait < min ? min : wait > max ? max : Math.round(wait);
  }

  /** When a reply is overdue: RFC 6298's RTO (1 s before any sample), held at 1.5 x the recent peak. */
  get rtoMs(): number {
    if (this.#lastRtt < 0) return 1000;
    const rto = this.#srtt + 4 * this.#rttvar;
    return rto < 1.5 * this.#peak ? 1.5 * this.#peak : rto;
  }

  /** A reply; `counted` puts it in the loss window (baseline probes only). */
  reply(rttMs: number, counted = true): void {
    if (counted) this.#record(0);
    if (this.#lastRtt < 0) {
      this.#srtt = rttMs;
      this.#rttvar = rttMs / 2;
    } else {
      const err = rttMs - this.#srtt;
      this.#rttvar += ((err < 0 ? -err : err) - this.#rttvar) / 4;
      this.#srtt += err / 8;
      const d = rttMs - this.#lastRtt;
      this.#jitter += ((d < 0 ? -d : d) - this.#jitter) / 16;
    }
    this.#lastRtt = rttMs;
    // Peak hold with a half-life of about 35 samples.
    this.#peak *= PEAK_DECAY;
    if (rttMs > this.#peak) this.#peak = rttMs;
  }

  /**
   * Loss over a long memory (an average over about LONG_LOSS_N baseline probes), 0..1: a window of
   * 100 probes on a 10 % path reads 2 % about once a day by chance, and the evidence a silence
   * needs must not drop with it.
   */
  get longLoss(): number { return this.#longLoss; }

  /**
   * Misses in a row that random loss alone gives with probability below `p` (0 on a path that
   * loses 5 % or less). The loss is the worse of the window and the long memory, plus a margin for
   * late replies, once the window holds 10 samples. Only misses that came alone count: those inside
   * a silence where other probes went unanswered too came in a burst, and a burst is judged by its
   * length (the gap tolerance), not as so many independent chances (a cellular link that loses 30 %
   * in bursts is not a path that loses each probe with 30 %).
   */
  unlikelyRun(p: number): number {
    const windowed = this.#filled === 0 ? 0 : this.#scattered / this.#filled, long = this.#longScattered;
    const loss = this.#filled >= 10 ? (windowed > long ? windowed : long) + 0.03 : 0;
    if (loss <= 0.05) return 0;
    return Math.ceil(Math.log(p) / Math.log(loss >= 0.95 ? 0.95 : loss));
  }

  /** A baseline probe went unanswered; `inBurst`: within a silence where others did too. */
  miss(inBurst = false): void {
    this.#record(inBurst ? 2 : 1);
  }

  /** Forget the loss history: misses while a link was down say nothing about it once it is back. */
  resetLoss(): void {
    this.#outcomes.fill(0);
    this.#next = this.#filled = this.#lost = this.#scattered = 0;
  }

  /** 0 a reply, 1 a miss alone, 2 a miss in a burst. */
  #record(outcome: 0 | 1 | 2): void {
    const w = this.#outcomes.length;
    if (this.#filled === w) {
      const old = this.#outcomes[this.#next];
      if (old !== 0) this.#lost--;
      if (old === 1) this.#scattered--;
    } else this.#filled++;
    this.#outcomes[this.#next] = outcome;
    const lost = outcome === 0 ? 0 : 1, alone = outcome === 1 ? 1 : 0;
    this.#lost += lost;
    this.#scattered += alone;
    this.#next = (this.#next + 1) % w;
    this.#longLoss += (lost - this.#longLoss) / LONG_LOSS_N;
    this.#longScattered += (alone - this.#longScattered) / LONG_LOSS_N;
  }
}

const PEAK_DECAY = 0.98;
const LONG_LOSS_N = 500;
