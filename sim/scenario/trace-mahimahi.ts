// mahimahi's delivery-opportunity traces (mm-link): one line per chance for one 1500-byte packet
// to cross the link, the line being that chance's time in ms from the trace's start; the same
// time repeated for several packets in one ms. An .up and a .down file make one link.
//
// Replayed as rows of intervalMs: an interval in which a direction has no delivery opportunity
// is silent that way, so a packet arriving then waits in the link's buffer for the next interval
// that has one (late delivery, as under mm-link's queue) or is lost when the buffer is full or the
// wait too long. Silences of silenceMs or more are outages in the ground truth; shorter ones are
// only delay. Capacity within a non-silent interval is not modelled: the probes and the users'
// packets here are a few per second against hundreds of opportunities.
import { LineError, openLines, type LineReader } from "../world/line-reader";
import type { RowSource, TraceRow, TraceSpec } from "../world/trace-timeline";
import { openTraceFile, TraceFileError } from "./trace-csv";

/** Opportunity lines per file: well past a day of a 12 Mbit/s link. */
export const MAHIMAHI_MAX_LINES = 200_000_000;

const INTEGER = /^[0-9]{1,12}$/;

/** Read the next opportunity time, checking it does not go back; NaN at the end of the file. */
function nextTime(lines: LineReader, file: string, last: number): number {
  for (;;) {
    let text: string | null;
    try {
      text = lines.next();
    } catch (e) {
      if (e instanceof LineError) throw new TraceFileError(`${file}:${e.line}: ${e.message}`);
      throw e;
    }
    if (text === null) return NaN;
    const v = text.trim();
    if (v === "") continue;
    if (!INTEGER.test(v)) throw new TraceFileError(`${file}:${lines.line}: opportunity time '${v.slice(0, 40)}' is not a whole number of ms`);
    const t = Number(v);
    if (t < last) throw new TraceFileError(`${file}:${lines.line}: opportunity time ${t} is before the previous line's ${last} (times must not go back)`);
    if (lines.line > MAHIMAHI_MAX_LINES) throw new TraceFileError(`${file}:${lines.line}: more than ${MAHIMAHI_MAX_LINES} lines`);
    return t;
  }
}

function check(file: string): { lines: number; last: number } {
  const lines = openTraceFile(file);
  try {
    let n = 0, last = 0;
    for (let t = nextTime(lines, file, 0); !Number.isNaN(t); t = nextTime(lines, file, last)) { n++; last = t; }
    if (n === 0) throw new TraceFileError(`${file}:1: no delivery opportunities (one line per opportunity, its time in ms)`);
    return { lines: n, last };
  } finally {
    lines.close();
  }
}

/** Check an .up/.down pair and return how to replay it as rows of `intervalMs`. */
export function readMahimahi(upFile: string, downFile: string, intervalMs: number): TraceSpec {
  const up = check(upFile), down = check(downFile);
  // mm-link repeats a trace after its last opportunity's time; the pair repeats after the longer.
  const rows = Math.max(1, Math.ceil((Math.max(up.last, down.last) + 1) / intervalMs));
  return {
    name: `${upFile} + ${downFile}`,
    durationMs: rows * intervalMs,
    rows,
    roundTrip: false,
    open: () => pairSource(upFile, downFile, intervalMs, rows),
  };
}

function pairSource(upFile: string, downFile: string, intervalMs: number, rows: number): RowSource {
  const files = [openLines(upFile), openLines(downFile)];
  const names = [upFile, downFile];
  const next = [NaN, NaN];
  const read = (k: number) => { next[k] = nextTime(files[k], names[k], Number.isNaN(next[k]) ? 0 : next[k]); };
  read(0); read(1);
  let row = 0;
  /** Opportunities of file k before `end`, consumed. */
  const take = (k: number, end: number): number => {
    let n = 0;
    while (!Number.isNaN(next[k]) && next[k] < end) { n++; read(k); }
    return n;
  };
  return {
    next(into: TraceRow): boolean {
      if (row >= rows) return false;
      const start = row * intervalMs, end = start + intervalMs;
      into.startMs = start;
      into.lossUp = take(0, end) === 0 ? 1 : 0;
      into.lossDown = take(1, end) === 0 ? 1 : 0;
      into.delayUp = into.delayDown = into.jitterMs = NaN;
      row++;
      return true;
    },
    close: () => { for (const f of files) f.close(); },
  };
}
