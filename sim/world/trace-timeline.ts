// A replayed trace as a link meets it, read forward as simulated time passes.
//
// Rows come from a source (a CSV file, a mahimahi pair) one at a time and are kept only between
// now and as far ahead as someone has asked (a late packet's release, a silence's length), so a
// day at 10 ms costs a few thousand rows of memory, not millions. Every time here is trace time:
// ms since the trace's first row (the fault's offsetMs included, whole passes added on repeat).
//
// Silences: a direction is silent where its row loses everything (loss 1, or an interval with no
// delivery opportunity), and, with partialLoss "cut", for the lost share of a partly lost row:
// one stretch at the row's start when the row before ended silent, else at its end, so that
// [0.4, 1, 1, 0.3] is one silence from 60 % into the first row to 30 % into the last.

/** One row as a source gives it. NaN in a figure: not measured (the link's own figure applies). */
export interface TraceRow {
  /** Start, ms since the trace's first row. */
  startMs: number;
  lossUp: number;
  lossDown: number;
  /** One-way delays, ms. */
  delayUp: number;
  delayDown: number;
  /** Mean of the exponential jitter on the round trip, ms. */
  jitterMs: number;
}

export interface RowSource {
  /** Fill `into` with the next row; false after the last. */
  next(into: TraceRow): boolean;
  close(): void;
}

/** A checked trace: what it holds, and a way to read it again from the start. */
export interface TraceSpec {
  /** The file(s) it came from, for messages. */
  name: string;
  /** One pass, from the first row's start to the last row's end, ms. */
  durationMs: number;
  rows: number;
  /**
   * The legacy form (columns loss and rtt_ms): one loss figure for the round trip, drawn once per
   * exchange. Otherwise each direction has its own loss and delay.
   */
  roundTrip: boolean;
  open(): RowSource;
}

export interface TraceOptions {
  /** Trace time at the fault's atMs. */
  offsetMs: number;
  /** Start again from the first row after the last (as mahimahi does). */
  repeat: boolean;
  /** A partly lost row: independent loss per packet ("random"), or one silent stretch ("cut"). */
  partialLoss: "random" | "cut";
  /** Only silences at least this long count as outages in the ground truth (shorter ones only delay). */
  silenceMs: number;
  /** Packets a silent direction holds for later delivery (0: a packet meeting a silence is lost). */
  bufferPackets: number;
  /** The longest a held packet waits; one that would wait longer is lost. */
  bufferMs: number;
}

export const UP = 0, DOWN = 1, EITHER = 2;
export type Channel = typeof UP | typeof DOWN | typeof EITHER;

/** A silence [a, b) in trace time; `b` grows while the rows read so far are still silent. */
export interface Silence { a: number; b: number }

/** Rows kept behind the read position before the arrays are compacted. */
const COMPACT_AT = 4096;

export class TraceCursor {
  readonly spec: TraceSpec;
  readonly options: TraceOptions;
  #src: RowSource;
  #pending: TraceRow = blankRow();
  #hasPending = false;
  #shift = 0;
  // The window of rows [#head, length): start, end and figures.
  #start: number[] = [];
  #end: number[] = [];
  #lu: number[] = [];
  #ld: number[] = [];
  #du: number[] = [];
  #dd: number[] = [];
  #jit: number[] = [];
  #head = 0;
  #hint = 0;
  /** End of the last row in the window: everything before it is known. */
  #pos = 0;
  /** Silences per channel, in order; the last may still be growing (b === #pos). */
  #sil: Silence[][] = [[], [], []];
  #silHead = [0, 0, 0];
  /** Ground truth: the next EITHER silence not yet looked at, and the one counted as an outage now. */
  #gtNext = 0;
  #outage: Silence | null = null;
  /** Release times of packets held per direction. */
  #held: number[][] = [[], []];
  /** Rows read from the source in all (a figure for the bench). */
  rowsRead = 0;
  maxWindow = 0;

  constructor(spec: TraceSpec, options: TraceOptions) {
    this.spec = spec;
    this.options = options;
    this.#src = spec.open();
    this.#readPending();
    // Rows wholly before the offset are read and forgotten as they pass, never held together.
    const off = options.offsetMs;
    while (this.#pos <= off && this.#pull()) if (this.#start.length - this.#head > COMPACT_AT) this.trim(off);
    const either = this.#sil[EITHER];
    while (this.#gtNext < either.length && either[this.#gtNext].b <= off) this.#gtNext++;
    this.trim(off);
  }

  close(): void { this.#src.close(); }

  /** The trace has no more rows after this time (Infinity with repeat). */
  get endMs(): number { return this.options.repeat ? Infinity : this.spec.durationMs; }

  // ---- reading ---------------------------------------------------------------------------------

  #readPending(): void {
    for (;;) {
      if (this.#src.next(this.#pending)) {
        this.#pending.startMs += this.#shift;
        this.#hasPending = true;
        this.rowsRead++;
        return;
      }
      if (!this.options.repeat || this.spec.rows === 0) { this.#hasPending = false; return; }
      this.#src.close();
      this.#src = this.spec.open();
      this.#shift += this.spec.durationMs;
    }
  }

  /** Move the pending row into the window; its end is the next row's start (or the trace's end). */
  #pull(): boolean {
    if (!this.#hasPending) return false;
    const r = this.#pending;
    const startMs = r.startMs, lu = r.lossUp, ld = r.lossDown, du = r.delayUp, dd = r.delayDown, jit = r.jitterMs;
    const shift = this.#shift;
    this.#pending = blankRow();
    this.#readPending();
    // A pass's last row ends where the pass does, even when the next pass has begun.
    const passEnd = shift + this.spec.durationMs;
    const end = this.#hasPending && this.#pending.startMs < passEnd ? this.#pending.startMs : passEnd;
    this.#start.push(startMs); this.#end.push(end);
    this.#lu.push(lu); this.#ld.push(ld); this.#du.push(du); this.#dd.push(dd); this.#jit.push(jit);
    this.#pos = end;
    const n = this.#start.length - this.#head;
    if (n > this.maxWindow) this.maxWindow = n;
    this.#silences(startMs, end, lu, ld);
    return true;
  }

  #silences(s: number, e: number, lu: number, ld: number): void {
    const up = this.#piece(UP, s, e, lu), down = this.#piece(DOWN, s, e, ld);
    if (up) this.#append(UP, up[0], up[1]);
    if (down) this.#append(DOWN, down[0], down[1]);
    if (up && down && up[0] <= down[1] && down[0] <= up[1]) this.#append(EITHER, Math.min(up[0], down[0]), Math.max(up[1], down[1]));
    else {
      const first = up && down ? (up[0] < down[0] ? up : down) : up ?? down;
      const second = up && down ? (first === up ? down : up) : null;
      if (first) this.#append(EITHER, first[0], first[1]);
      if (second) this.#append(EITHER, second[0], second[1]);
    }
  }

  #piece(ch: Channel, s: number, e: number, loss: number): [number, number] | null {
    if (!(loss > 0)) return null;
    if (loss >= 1) return [s, e];
    if (this.options.partialLoss !== "cut") return null;
    const len = (e - s) * loss;
    const list = this.#sil[ch];
    const last = list.length > this.#silHead[ch] ? list[list.length - 1] : null;
    return last && last.b === s ? [s, s + len] : [e - len, e];
  }

  #append(ch: Channel, a: number, b: number): void {
    const list = this.#sil[ch];
    const last = list.length > this.#silHead[ch] ? list[list.length - 1] : null;
    if (last && last.b === a) last.b = b;
    else list.push({ a, b });
  }

  /** Read until the row covering `t` is in the window (or the trace ends). */
  #reach(t: number): void {
    while (this.#pos <= t && this.#pull()) { /* read on */ }
  }

  /** Forget what lies wholly before `t` (no one asks about the past). */
  trim(t: number): void {
    let h = this.#head;
    const end = this.#end;
    while (h < end.length - 1 && end[h] <= t) h++;
    this.#head = h;
    if (h >= COMPACT_AT && h * 2 >= end.length) {
      for (const a of [this.#start, this.#end, this.#lu, this.#ld, this.#du, this.#dd, this.#jit]) a.splice(0, h);
      this.#hint = Math.max(0, this.#hint - h);
      this.#head = 0;
    }
    for (const ch of [UP, DOWN] as const) {
      const list = this.#sil[ch];
      let i = this.#silHead[ch];
      while (i < list.length - 1 && list[i].b <= t) i++;
      this.#silHead[ch] = i;
      if (i >= 256 && i * 2 >= list.length) { list.splice(0, i); this.#silHead[ch] = 0; }
      const held = this.#held[ch];
      let k = 0;
      for (const r of held) if (r > t) held[k++] = r;
      held.length = k;
    }
    // EITHER is the ground truth: keep what it has not looked at yet.
    const list = this.#sil[EITHER];
    let i = this.#silHead[EITHER];
    while (i < this.#gtNext && list[i].b <= t && list[i] !== this.#outage) i++;
    this.#silHead[EITHER] = i;
    if (i >= 256 && i * 2 >= list.length) { list.splice(0, i); this.#gtNext -= i; this.#silHead[EITHER] = 0; }
  }

  // ---- rows ------------------------------------------------------------------------------------

  /** The window index of the row covering `t`, or -1 past the trace's end (or before its start). */
  row(t: number): number {
    this.#reach(t);
    const st = this.#start, en = this.#end;
    const n = st.length;
    if (n === this.#head || t < st[this.#head] || t >= en[n - 1]) return -1;
    let i = this.#hint;
    if (i < this.#head || i >= n || st[i] > t) i = this.#head;
    if (en[i] <= t) {
      // Forward from the hint, then bisect if it is far.
      if (i + 8 < n && en[i + 8] <= t) {
        let lo = i + 8, hi = n - 1;
        while (lo < hi) { const m = (lo + hi) >> 1; if (en[m] <= t) lo = m + 1; else hi = m; }
        i = lo;
      } else while (en[i] <= t) i++;
    }
    this.#hint = i;
    return i;
  }

  lossUp(i: number): number { return this.#lu[i]; }
  lossDown(i: number): number { return this.#ld[i]; }
  delayUp(i: number): number { return this.#du[i]; }
  delayDown(i: number): number { return this.#dd[i]; }
  jitter(i: number): number { return this.#jit[i]; }
  rowStart(i: number): number { return this.#start[i]; }
  rowEnd(i: number): number { return this.#end[i]; }

  /** A partly lost row whose loss is placed as a silence (cut mode) draws no independent loss. */
  randomLoss(loss: number): number {
    if (!(loss > 0)) return loss;
    return loss >= 1 || this.options.partialLoss === "cut" ? (loss >= 1 ? 1 : 0) : loss;
  }

  // ---- silences --------------------------------------------------------------------------------

  /** The silence of `ch` covering `t`, or null. */
  silence(ch: Channel, t: number): Silence | null {
    this.#reach(t);
    const list = this.#sil[ch];
    for (let i = this.#silHead[ch]; i < list.length; i++) {
      const s = list[i];
      if (s.a > t) return null;
      if (t < s.b) return s;
    }
    return null;
  }

  /** Read on until `s` is known to end, or it has lasted past `limit`; its end (Infinity: not by then). */
  #endOf(s: Silence, limit: number): number {
    while (s.b === this.#pos && s.b <= limit && this.#pull()) { /* read on */ }
    return s.b <= limit ? s.b : Infinity;
  }

  /**
   * A packet entering direction `ch` at `t`: when it leaves (t, or a silence's end if it is held),
   * or NaN when it is lost to a silence (no buffer, a full one, or a silence longer than bufferMs).
   */
  depart(ch: typeof UP | typeof DOWN, t: number): number {
    const s = this.silence(ch, t);
    if (!s) return t;
    const o = this.options;
    if (o.bufferPackets <= 0) return NaN;
    const end = this.#endOf(s, t + o.bufferMs);
    if (!Number.isFinite(end)) return NaN;
    const held = this.#held[ch];
    let waiting = 0;
    for (const r of held) if (r > t) waiting++;
    if (waiting >= o.bufferPackets) return NaN;
    held.push(end);
    return end;
  }

  /**
   * The ground truth up to `now`: `open(a)` for each silence (either direction) that began by now
   * and lasts at least silenceMs, `close(b)` when it has ended. Returns whether one is in force now.
   */
  outages(now: number, open: (a: number) => void, close: (b: number) => void): boolean {
    const minMs = this.options.silenceMs;
    this.#reach(now);
    const list = this.#sil[EITHER];
    for (;;) {
      const o = this.#outage;
      if (o) {
        // #reach(now) read past now unless the trace ended: a silence ending by now has ended.
        if (o.b > now) return true;
        close(o.b);
        this.#outage = null;
        continue;
      }
      if (this.#gtNext >= list.length) return false;
      const s = list[this.#gtNext];
      if (s.a > now) return false;
      this.#gtNext++;
      if (minMs > 0) this.#endOf(s, s.a + minMs);
      if (s.b - s.a < minMs) continue;
      open(s.a);
      this.#outage = s;
    }
  }
}

function blankRow(): TraceRow {
  return { startMs: 0, lossUp: NaN, lossDown: NaN, delayUp: NaN, delayDown: NaN, jitterMs: NaN };
}

/** Traces up to this many rows are kept in memory after their first read (a repeat re-reads nothing). */
export const CACHED_ROWS = 50_000;

/**
 * `spec`, with its rows kept after the first full read when there are few of them: a short
 * recording looped for hours, or run for many seeds, is read from disk once.
 */
export function cachedWhenSmall(spec: TraceSpec): TraceSpec {
  if (spec.rows > CACHED_ROWS) return spec;
  let rows: Float64Array | null = null;
  const W = 6;
  const load = (): Float64Array => {
    const all = new Float64Array(spec.rows * W);
    const src = spec.open();
    const r = blankRow();
    try {
      for (let i = 0; i < spec.rows && src.next(r); i++) {
        all.set([r.startMs, r.lossUp, r.lossDown, r.delayUp, r.delayDown, r.jitterMs], i * W);
      }
    } finally {
      src.close();
    }
    return all;
  };
  return {
    ...spec,
    open(): RowSource {
      const all = (rows ??= load());
      let i = 0;
      return {
        next(into: TraceRow): boolean {
          if (i >= spec.rows) return false;
          const o = i++ * W;
          into.startMs = all[o]; into.lossUp = all[o + 1]; into.lossDown = all[o + 2];
          into.delayUp = all[o + 3]; into.delayDown = all[o + 4]; into.jitterMs = all[o + 5];
          return true;
        },
        close() {},
      };
    },
  };
}
