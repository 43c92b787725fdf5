// Where in a JSON text a field is: the line of each value and each object key by its JSON pointer,
// so a rejection can say `file:line: /faults/2/rate ...` and a user goes straight to it. Only run on
// text that JSON.parse accepted, so it can be a plain scanner: strings, numbers, literals, nesting.

/** Line (1-based) of every value by JSON pointer ("" is the whole document); a key's line under its member's pointer. */
export function jsonLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let i = 0, line = 1;
  const ws = () => {
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 92) i++;
      else if (c === 34) break;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    if (!lines.has(path)) lines.set(path, line);
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        const keyLine = line;
        const key = str();
        const p = path + "/" + key.replace(/~/g, "~0").replace(/\//g, "~1");
        lines.set(p, keyLine);
        ws();
        i++; // ':'
        value(p);
        ws();
        if (text[i++] === "}") return;
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") { i++; return; }
      for (let n = 0; ; n++) {
        value(path + "/" + n);
        ws();
        if (text[i++] === "]") return;
      }
    }
    if (c === '"') { str(); return; }
    while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
  };
  try {
    value("");
  } catch {
    // Nesting deep enough to exhaust the stack: the lines found so far are all we say.
  }
  return lines;
}

/** The line of the deepest field of `pointer` that the text has (a missing field: its parent's). */
export function lineOf(lines: Map<string, number>, pointer: string): number {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf("/"))) {
    const n = lines.get(p);
    if (n !== undefined) return n;
    if (p === "") return 1;
  }
}
