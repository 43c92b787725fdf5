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
  return { index, width: cells.length, roundTrip: has("loss") };
}

/** Parse one data row into `into` (startMs left as t_ms, or NaN without it). */
function readRow(cells: string[], layout: Layout, line: number, file: string, into: TraceRow): void {
  const bad = (msg: string): never => { throw new TraceFileError(`${file}:${line}: ${msg}`); };
  if (cells.length !== layout.width) bad(`${cells.length} fields, the header has ${layout.width}`);
  const num = (c: Column, max: number, required = false): number => {
    const i = layout.index[c];
    if (i < 0) return NaN;
    const v = cells[i].trim();
    if (v === "" || v === "-") {
      if (required) bad(`${c} is empty (every row needs its time)`);
      return NaN;
    }
    const n = NUMBER.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(n)) bad(`${c} '${v}' is not a number`);
    if (n > max) bad(`${c} ${v} is above ${max}`);
    return n;
  };
  into.startMs = num("t_ms", 1e13, true);
  if (layout.roundTrip) {
    const loss = num("loss", 1);
    into.lossUp = loss;
    // The round trip's loss is drawn once (on the way out); a total loss silences both ways.
    into.lossDown = Number.isNaN(loss) ? NaN : loss >= 1 ? 1 : 0;
  } else {
    into.lossUp = num("loss_up", 1);
    into.lossDown = num("loss_down", 1);
  }
  if (layout.index.rtt_ms >= 0) {
    const rtt = num("rtt_ms", 60000);
    into.delayUp = into.delayDown = rtt / 2;
  } else {
    into.delayUp = num("delay_up_ms", 30000);
    into.delayDown = num("delay_down_ms", 30000);
  }
  into.jitterMs = num("jitter_ms", 60000);
}

const skip = (line: string) => { const t = line.trim(); return t === "" || t.startsWith("#"); };

interface Scan { layout: Layout; rows: number; firstT: number; lastT: number; lastStep: number }

/** One pass over the file: the header, then every row through `each`. */
function scan(file: string, each: ((row: TraceRow, n: number) => void) | null, lines: LineReader): Scan {
  let layout: Layout | null = null;
  let rows = 0, firstT = NaN, lastT = NaN, lastStep = NaN;
  const row: TraceRow = { startMs: 0, lossUp: 0, lossDown: 0, delayUp: 0, delayDown: 0, jitterMs: 0 };
  try {
    for (let text = lines.next(); text !== null; text = lines.next()) {
      if (skip(text)) continue;
      const cells = text.split(",");
      if (!layout) {
        layout = readHeader(cells.map((c) => c.trim()), lines.line, text.trim(), file);
        continue;
      }
      if (rows >= TRACE_MAX_ROWS) throw new TraceFileError(`${file}:${lines.line}: more than ${TRACE_MAX_ROWS} rows`);
      readRow(cells, layout, lines.line, file, row);
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

/**
 * Check a trace CSV from end to end and return how to replay it. `intervalMs`: each row's length
 * without t_ms (default 1000); with t_ms, the last row's length (default: the step before it).
 */
export function readTraceCsv(file: string, intervalMs: number | undefined): TraceSpec {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new TraceFileError(`cannot read trace ${file}: ${(e as Error).message}`);
  }
  if (size > TRACE_MAX_BYTES) throw new TraceFileError(`trace ${file} is ${size} bytes (at most ${TRACE_MAX_BYTES})`);
  const lines = openLines(file);
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
  let n = 0, header = false;
  return {
    next(into: TraceRow): boolean {
      for (let text = lines.next(); text !== null; text = lines.next()) {
        if (skip(text)) continue;
        if (!header) { header = true; continue; }
        readRow(text.split(","), layout, lines.line, file, into);
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
