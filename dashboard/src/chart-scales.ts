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
