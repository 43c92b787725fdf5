// A flat scan of JSON text before JSON.parse sees it. JSON.parse recurses once per nesting level
// and builds every value it reads; on the device's XS (512-slot stack, 4,928 heap slots) a few KB
// of brackets or a few thousand keys are enough to kill the engine. The scan walks the text once
// with no recursion and refuses it when it nests too deep, holds too many values, or repeats a key
// in one object (JSON.parse keeps the last silently; two readers could disagree on what was sent).
//
// It does not check the grammar: JSON.parse does that afterwards. For any text JSON.parse accepts
// up to some point, the scan tracked the same strings and brackets up to that point, so nothing
// JSON.parse would build can be deeper or bigger than what the scan allowed.
import { MAX_DEPTH, MAX_VALUES, quote } from "./limits";
import { walkable } from "./utf8";

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c;
const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;

/** One open container: the keys seen so far (objects), whether the next string is a key, and where we are in it. */
interface Level { keys: Set<string> | null; expectKey: boolean; key: string; index: number }

/**
 * null when the text is within bounds, else what is wrong and where. `keyAllowed`, when given,
 * refuses any other property name before JSON.parse makes it a key: XS keeps every property name
 * it ever saw in a table sized at build time, so unknown names are refused unread.
 */
export function checkJsonShape(json: string, maxDepth = MAX_DEPTH, maxValues = MAX_VALUES, keyAllowed?: (key: string) => boolean): string | null {
  const text = walkable(json);
  const stack: Level[] = [];
  let values = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) { escaped = true; i++; continue; }
        if (d === QUOTE) break;
      }
      const top = stack.length > 0 ? stack[stack.length - 1] : null;
      if (top && top.keys && top.expectKey) {
        const raw = text.slice(start, i + 1);
        let key = raw.slice(1, -1);
        if (escaped) {
          try { key = JSON.parse(raw) as string; } catch { /* not a string literal: JSON.parse will refuse the text */ }
        }
        if (top.keys.has(key)) return `duplicate key '${quote(key)}' at offset ${start}`;
        top.key = key;
        if (keyAllowed && !keyAllowed(key)) return `${pathOf(stack)} is not a field any request has (offset ${start})`;
        top.keys.add(key);
        top.expectKey = false;
      }
      continue;
    }
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (stack.length >= maxDepth) return `nested deeper than ${maxDepth} levels at offset ${i}`;
      stack.push({ keys: c === OPEN_OBJ ? new Set<string>() : null, expectKey: c === OPEN_OBJ, key: "", index: 0 });
      if (++values > maxValues) return `more than ${maxValues} values`;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack.length > 0 ? stack[stack.length - 1] : null;
      if (top && top.keys) top.expectKey = true;
      else if (top) top.index++;
      if (++values > maxValues) return `more than ${maxValues} values`;
    } else if (c === COLON) {
      const top = stack.length > 0 ? stack[stack.length - 1] : null;
      if (top) top.expectKey = false;
    }
  }
  return null;
}

/** "/config/links/eth9": the JSON Pointer of the key just read, each step cut short. */
function pathOf(stack: readonly Level[]): string {
  let p = "";
  for (let i = 0; i < stack.length; i++) p += "/" + (stack[i].keys ? quote(stack[i].key) : String(stack[i].index));
  return p;
}
