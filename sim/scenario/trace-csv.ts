// Trace CSV files: checked once from end to end when the scenario loads (a bad row is refused
// before anything runs, with file:line and the column), then read again as the run goes, through
// the line reader, so a file of any length costs one chunk of memory.
//
// Columns (a header line, any order): loss (round-trip share lost, 0..1) or loss_up and loss_down;
// rtt_ms or delay_up_ms and delay_down_ms (one-way); optional jitter_ms; optional t_ms (the row's
// time; strictly increasing; each row holds until the next). Without t_ms a row lasts intervalMs.
// A cell "-" or an empty cell is not measured: the link's own figure holds there.
import { statSync } from "node:fs";
import { LineError, openLines, type LineReader } from "../world/line-reader";
import type { RowSource, TraceRow, TraceSpec } from "../world/trace-timeline";

/** Bounds on a trace file: a day at 10 ms with room to spare; memory does not grow with either. */
export const TRACE_MAX_BYTES = 1024 * 1024 * 1024;
export const TRACE_MAX_ROWS = 10_000_000;

const COLUMNS = ["t_ms", "loss", "loss_up", "loss_down", "rtt_ms", "delay_up_ms", "delay_down_ms", "jitter_ms"] as const;
type Column = typeof COLUMNS[number];

export class TraceFileError extends Error {}

const NUMBER = /^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$|^\.[0-9]+$/;

interface Layout {
  index: Record<Column, number>;
  /** The column of each field, in file order. */
  order: Column[];
  width: number;
  roundTrip: boolean;
}

function readHeader(cells: string[], line: number, text: string, file: string): Layout {
  const bad = (msg: string): never => { throw new TraceFileError(`${file}:${line}: ${msg}`); };
  const index = Object.fromEntries(COLUMNS.map((c) => [c, -1])) as Record<Column, number>;
  cells.forEach((c, i) => {
    if (!(COLUMNS as readonly string[]).includes(c)) bad(`unknown column '${c}' (columns: ${COLUMNS.join(", ")})`);
    if (index[c as Column] >= 0) bad(`column '${c}' appears twice`);
    index[c as Column] = i;
  });
  const has = (c: Column) => index[c] >= 0;
  const lossOk = has("loss") !== (has("loss_up") && has("loss_down")) && has("loss_up") === has("loss_down");
  const delayOk = has("rtt_ms") !== (has("delay_up_ms") && has("delay_down_ms")) && has("delay_up_ms") === has("delay_down_ms");
  if (!lossOk || !delayOk) {
    bad(`the header needs columns loss and rtt_ms, or loss_up, loss_down, delay_up_ms and delay_down_ms (one way), ` +
      `not both forms of one (got '${text}')`);
  }
  return { index, order: cells as Column[], width: cells.length, roundTrip: has("loss") };
}

/** The limit on each column's value. */
const MAX: Record<Column, number> = { t_ms: 1e13, loss: 1, loss_up: 1, loss_down: 1, rtt_ms: 60000, delay_up_ms: 30000, delay_down_ms: 30000, jitter_ms: 60000 };

/**
 * One cell as a number: NaN when not measured ("-" or empty), else a plain decimal (digits, an
 * optional fraction and exponent, no sign). Throws with the column's name otherwise.
 */
function cell(text: string, from: number, to: number, col: Column, line: number, file: string): number {
  while (from < to && text.charCodeAt(from) === 32) from++;
  while (to > from && text.charCodeAt(to - 1) === 32) to--;
  if (from === to || (to - from === 1 && text.charCodeAt(from) === 45)) return NaN;
  // Fast path for what traces hold (digits, maybe a fraction): integer over a power of ten is
  // correctly rounded, so it is exactly Number(text) while both stay below 2^53.
  let int = 0, scale = 1, dot = false, plain = to - from <= 15;
  for (let i = from; plain && i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) { int = int * 10 + (c - 48); if (dot) scale *= 10; }
    else if (c === 46 && !dot) dot = true;
    else plain = false;
  }
  if (plain && !(dot && to - from === 1)) {
    const n = int / scale;
    if (n > MAX[col]) throw new TraceFileError(`${file}:${line}: ${col} ${text.slice(from, to)} is above ${MAX[col]}`);
    return n;
  }
  const v = text.slice(from, to);
  const n = NUMBER.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new TraceFileError(`${file}:${line}: ${col} '${v.slice(0, 40)}' is not a number`);
  if (n > MAX[col]) throw new TraceFileError(`${file}:${line}: ${col} ${v} is above ${MAX[col]}`);
  return n;
}

/** Parse one data row into `into` (startMs left as t_ms, or NaN without it). No allocation but the cells' text. */
function readRow(text: string, layout: Layout, line: number, file: string, into: TraceRow, v: Float64Array): void {
  v.fill(NaN);
  let from = 0, k = 0;
  for (;;) {
    const comma = text.indexOf(",", from);
    const to = comma < 0 ? text.length : comma;
    if (k < layout.width) v[k] = cell(text, from, to, layout.order[k], line, file);
    k++;
    if (comma < 0) break;
    from = comma + 1;
  }
  if (k !== layout.width) throw new TraceFileError(`${file}:${line}: ${k} fields, the header has ${layout.width}`);
  const ix = layout.index;
  const at = (c: Column) => (ix[c] < 0 ? NaN : v[ix[c]]);
  into.startMs = at("t_ms");
  if (layout.index.t_ms >= 0 && Number.isNaN(into.startMs)) throw new TraceFileError(`${file}:${line}: t_ms is empty (every row needs its time)`);
  if (layout.roundTrip) {
    const loss = at("loss");
    into.lossUp = loss;
    // The round trip's loss is drawn once (on the way out); a total loss silences both ways.
    into.lossDown = Number.isNaN(loss) ? NaN : loss >= 1 ? 1 : 0;
  } else {
    into.lossUp = at("loss_up");
    into.lossDown = at("loss_down");
  }
  if (layout.index.rtt_ms >= 0) into.delayUp = into.delayDown = at("rtt_ms") / 2;
  else {
    into.delayUp = at("delay_up_ms");
    into.delayDown = at("delay_down_ms");
  }
  into.jitterMs = at("jitter_ms");
}

const skip = (line: string) => { const t = line.trim(); return t === "" || t.startsWith("#"); };

interface Scan { layout: Layout; rows: number; firstT: number; lastT: number; lastStep: number }

/** One pass over the file: the header, then every row through `each`. */
function scan(file: string, each: ((row: TraceRow, n: number) => void) | null, lines: LineReader): Scan {
  let layout: Layout | null = null;
  let rows = 0, firstT = NaN, lastT = NaN, lastStep = NaN;
  const row: TraceRow = { startMs: 0, lossUp: 0, lossDown: 0, delayUp: 0, delayDown: 0, jitterMs: 0 };
  let values = new Float64Array(0);
  try {
    for (let text = lines.next(); text !== null; text = lines.next()) {
      if (skip(text)) continue;
      if (!layout) {
        layout = readHeader(text.split(",").map((c) => c.trim()), lines.line, text.trim(), file);
        values = new Float64Array(layout.width);
        continue;
      }
      if (rows >= TRACE_MAX_ROWS) throw new TraceFileError(`${file}:${lines.line}: more than ${TRACE_MAX_ROWS} rows`);
      readRow(text, layout, lines.line, file, row, values);
      if (layout.index.t_ms >= 0) {
        if (rows > 0 && !(row.startMs > lastT)) {
          throw new TraceFileError(`${file}:${lines.line}: t_ms ${row.startMs} is not after the previous row's ${lastT} (times must increase)`);
        }
        if (rows === 0) firstT = row.startMs;
        else lastStep = row.startMs - lastT;
        lastT = row.startMs;
      }
      rows++;
      each?.(row, rows - 1);
    }
  } catch (e) {
    if (e instanceof LineError) throw new TraceFileError(`${file}:${e.line}: ${e.message}`);
    throw e;
  }
  if (!layout) throw new TraceFileError(`${file}:1: empty trace: expected a header line (loss,rtt_ms[,jitter_ms][,t_ms]) and rows`);
  if (rows === 0) throw new TraceFileError(`${file}:${Math.max(1, lines.line)}: no rows after the header`);
  return { layout, rows, firstT, lastT, lastStep };
}

/** A trace file opened for its first, checking read: refused if it cannot be read or is over TRACE_MAX_BYTES. */
export function openTraceFile(file: string): LineReader {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new TraceFileError(`cannot read trace ${file}: ${(e as Error).message}`);
  }
  if (size > TRACE_MAX_BYTES) throw new TraceFileError(`trace ${file} is ${size} bytes (at most ${TRACE_MAX_BYTES})`);
  return openLines(file);
}

/**
 * Check a trace CSV from end to end and return how to replay it. `intervalMs`: each row's length
 * without t_ms (default 1000); with t_ms, the last row's length (default: the step before it).
 */
export function readTraceCsv(file: string, intervalMs: number | undefined): TraceSpec {
  const lines = openTraceFile(file);
  let s: Scan;
  try {
    s = scan(file, null, lines);
  } finally {
    lines.close();
  }
  const timed = s.layout.index.t_ms >= 0;
  const iv = intervalMs ?? 1000;
  const durationMs = timed ? s.lastT - s.firstT + (intervalMs ?? (Number.isNaN(s.lastStep) ? 1000 : s.lastStep)) : s.rows * iv;
  return {
    name: file,
    durationMs,
    rows: s.rows,
    roundTrip: s.layout.roundTrip && s.layout.index.rtt_ms >= 0,
    open: () => csvSource(file, s.layout, timed ? s.firstT : NaN, iv),
  };
}

/** Rows of a checked file, read again as the replay asks for them. */
function csvSource(file: string, layout: Layout, firstT: number, intervalMs: number): RowSource {
  const lines = openLines(file);
  const values = new Float64Array(layout.width);
  let n = 0, header = false;
  return {
    next(into: TraceRow): boolean {
      for (let text = lines.next(); text !== null; text = lines.next()) {
        if (skip(text)) continue;
        if (!header) { header = true; continue; }
        readRow(text, layout, lines.line, file, into, values);
        into.startMs = Number.isNaN(firstT) ? n * intervalMs : into.startMs - firstT;
        n++;
        return true;
      }
      return false;
    },
    close: () => lines.close(),
  };
}

/** Every row of a trace, for tests and small tools (not for a day at 10 ms). */
export function allRows(spec: TraceSpec): TraceRow[] {
  const src = spec.open();
  const out: TraceRow[] = [];
  try {
    for (;;) {
      const r: TraceRow = { startMs: 0, lossUp: 0, lossDown: 0, delayUp: 0, delayDown: 0, jitterMs: 0 };
      if (!src.next(r)) return out;
      out.push(r);
    }
  } finally {
    src.close();
  }
}
