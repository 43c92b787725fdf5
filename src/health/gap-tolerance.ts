// How long a link may stay silent before it is called down, learned from the gaps it has recovered
// from, as TCP's RTO is learned from the RTTs it has seen. A clean Ethernet keeps the floor and
// stays fast; an LTE link with handovers or a dish with obstructions earns the tolerance its own
// history shows it needs, up to a cap that bounds how late a real outage may be noticed. What was
// learned fades with a half-life, so a link that stops having gaps is judged fast again.

export interface GapToleranceLimits {
  /** Tolerance of a link with no gap history. */
  floorMs: number;
  /** Most the history may raise it to. */
  capMs: number;
  /** Half-life of what was learned. */
  memoryMs: number;
}

/** Margin over the longest recovered gap: the next gap of that link is rarely exactly as long. */
const GAP_FACTOR = 1.25;
const GAP_MARGIN_MS = 150;

export class GapTolerance {
  #excess = 0;
  #at = 0;

  constructor(private readonly l: GapToleranceLimits) {}

  valueMs(now: number): number {
    return this.l.floorMs + this.#decayed(now);
  }

  /** The link was silent for `silenceMs` (from its first unanswered probe) and then answered. */
  recovered(now: number, silenceMs: number): void {
    let want = silenceMs * GAP_FACTOR + GAP_MARGIN_MS;
    if (want > this.l.capMs) want = this.l.capMs;
    const excess = want - this.l.floorMs;
    if (excess > this.#decayed(now)) {
      this.#excess = excess;
      this.#at = now;
    }
  }

  #decayed(now: number): number {
    if (this.#excess <= 0) return 0;
    const e = this.#excess * Math.pow(0.5, (now - this.#at) / this.l.memoryMs);
    return e < 1 ? 0 : e;
  }
}
