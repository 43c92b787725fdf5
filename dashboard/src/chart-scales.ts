// The arithmetic of the history charts (ticks, time steps, gaps), free of the DOM so Node tests it.
/** Round tick values covering [0, max]: 1, 2 or 5 times a power of ten, at most `count` + 1 of them. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const TIME_STEPS = [60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3];

/** Tick times inside [from, to] on a round step (local time for whole days), at most about `count`. */
export function timeTicks(from: number, to: number, count = 5): number[] {
  const step = TIME_STEPS.find((s) => (to - from) / s <= count) ?? 86400e3;
  const offset = new Date(from).getTimezoneOffset() * 60000;
  const first = Math.ceil((from - offset) / step) * step + offset;
  const out: number[] = [];
  for (let t = first; t <= to; t += step) out.push(t);
  return out;
}

/** Points split where consecutive ones are further apart than `maxGap` (no line across missing data). */
export function segments(points: ReadonlyArray<[number, number]>, maxGap: number): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let cur: Array<[number, number]> = [];
  for (const p of points) {
    if (cur.length && p[0] - cur[cur.length - 1][0] > maxGap) { out.push(cur); cur = []; }
    cur.push(p);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * The time window a chart shows: the requested [from, to], narrowed to start a little before the
 * first point when the data cover only its end (a router seen for ten minutes is not three dots at
 * the edge of a day). At least `minSpanMs` wide; with no data, the whole request.
 */
export function fitRange(from: number, to: number, times: readonly number[], minSpanMs: number): { from: number; to: number; fitted: boolean } {
  let first = Infinity;
  for (const t of times) if (t >= from && t < first) first = t;
  if (first === Infinity) return { from, to, fitted: false };
  const pad = Math.max(0.05 * (to - first), 60e3);
  const start = Math.max(from, Math.min(first - pad, to - minSpanMs));
  return { from: start, to, fitted: start > from };
}

/** The point of a series nearest `t` (by time), or null when none lies within `maxGap`. */
export function nearest(points: ReadonlyArray<[number, number]>, t: number, maxGap: number): [number, number] | null {
  let lo = 0, hi = points.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < t) lo = mid + 1; else hi = mid;
  }
  const a = points[lo], b = lo > 0 ? points[lo - 1] : null;
  const best = b && Math.abs(b[0] - t) <= Math.abs(a[0] - t) ? b : a;
  return Math.abs(best[0] - t) <= maxGap ? best : null;
}
