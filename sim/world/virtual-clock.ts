// Virtual time: a binary heap of timers ordered by (time, insertion). Nothing waits for real time,
// so a simulated day runs as fast as its events can be processed, and always in the same order.

/** Calendar time at the start of every run (UTC noon, a weekday): billing periods and daily profiles count from it. */
export const WALL_START_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  period: number;
  cancelled: boolean;
}

export class VirtualClock {
  #now = 0;
  #seq = 0;
  #heap: Timer[] = [];

  now(): number { return this.#now; }
  get pending(): number { return this.#heap.length; }

  at(time: number, fn: () => void, period = 0): Timer {
    const t: Timer = { at: Math.max(time, this.#now), seq: this.#seq++, fn, period, cancelled: false };
    this.#push(t);
    return t;
  }

  after(ms: number, fn: () => void, period = 0): Timer {
    return this.at(this.#now + Math.max(0, ms), fn, period);
  }

  cancel(t: Timer | null | undefined): void {
    if (t) t.cancelled = true;
  }

  /** Run every timer due up to `end`, then leave the clock at `end`. */
  runUntil(end: number): void {
    const h = this.#heap;
    while (h.length > 0 && h[0].at <= end) {
      const t = this.#pop();
      if (t.cancelled) continue;
      this.#now = t.at;
      if (t.period > 0) {
        t.at += t.period;
        t.seq = this.#seq++;
        this.#push(t);
      }
      t.fn();
    }
    if (end > this.#now) this.#now = end;
  }

  #less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop() as Timer;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
