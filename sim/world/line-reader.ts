// The simulator's file port for recordings: a file read forward in fixed chunks, one line at a
// time. A 24 h trace at 10 ms is millions of lines; reading it this way keeps memory at one chunk
// and one line whatever the file's size, so a trace is never loaded whole. The file is opened for
// each chunk and closed again, so a replay left unfinished (a run that ends mid-trace) holds no
// descriptor.
import { closeSync, openSync, readSync } from "node:fs";

/** Bytes read per system call. */
export const CHUNK_BYTES = 64 * 1024;
/** A longer line is refused: no trace format here has lines near this long. */
export const MAX_LINE_CHARS = 4096;

export class LineError extends Error {
  constructor(readonly line: number, message: string) { super(message); }
}

export interface LineReader {
  /** The next line without its line ending, or null at the end of the file. */
  next(): string | null;
  /** 1-based number of the line `next` returned last. */
  readonly line: number;
  close(): void;
}

export function openLines(file: string): LineReader {
  // Opened once up front so a missing file is reported when the reader is made.
  closeSync(openSync(file, "r"));
  let position = 0;
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let text = "", at = 0, eof = false, line = 0;
  const fill = (): boolean => {
    if (eof) return false;
    const fd = openSync(file, "r");
    let n: number;
    try {
      n = readSync(fd, buf, 0, CHUNK_BYTES, position);
    } finally {
      closeSync(fd);
    }
    position += n;
    if (n === 0) {
      eof = true;
      text = text.slice(at) + decoder.decode();
    } else text = text.slice(at) + decoder.decode(buf.subarray(0, n), { stream: true });
    at = 0;
    return true;
  };
  return {
    get line() { return line; },
    next(): string | null {
      for (;;) {
        const nl = text.indexOf("\n", at);
        if (nl >= 0) {
          if (nl - at > MAX_LINE_CHARS) throw new LineError(line + 1, `line longer than ${MAX_LINE_CHARS} characters`);
          let s = text.slice(at, nl);
          at = nl + 1;
          line++;
          if (s.endsWith("\r")) s = s.slice(0, -1);
          return s;
        }
        if (text.length - at > MAX_LINE_CHARS) throw new LineError(line + 1, `line longer than ${MAX_LINE_CHARS} characters`);
        if (!fill()) {
          if (at >= text.length) return null;
          const s = text.slice(at);
          at = text.length;
          line++;
          return s.endsWith("\r") ? s.slice(0, -1) : s;
        }
      }
    },
    close(): void {
      eof = true;
      text = "";
      at = 0;
    },
  };
}
