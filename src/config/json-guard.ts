// A flat scan of JSON text before JSON.parse sees it. JSON.parse recurses once per nesting level
// and builds every value it reads; on the device's XS (512-slot stack, 4,928 heap slots) a few KB
// of brackets or a few thousand keys are enough to kill the engine. The scan walks the text once
// with no recursion and refuses it when it nests too deep, holds too many values or too many
// objects and arrays, or repeats a key in one object (JSON.parse keeps the last silently; two
// readers could disagree on what was sent).
//
// The scan itself must stay cheap on XS: it allocates per nesting level and per key, never per
// object. (It used to keep a Set and a record per object: a 2 KB config of 126 small objects
// cost 1,700 heap slots in the scan alone, 2,400 with JSON.parse, half the device's heap.) The
// keys of the open objects live in one array, each object's run of it checked for repeats by a
// linear scan, which MAX_VALUES bounds.
//
// It does not check the grammar: JSON.parse does that afterwards. For any text JSON.parse accepts
// up to some point, the scan tracked the same strings and brackets up to that point, so nothing
// JSON.parse would build can be deeper or bigger than what the scan allowed.
import { MAX_CONTAINERS, MAX_DEPTH, MAX_VALUES, quote } from "./limits";
import { walkable } from "./utf8";

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c;
const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;

export interface ShapeLimits {
  depth?: number;
  values?: number;
  /** Objects and arrays together: each costs JSON.parse far more heap than a number or a short string. */
  containers?: number;
  /**
   * Refuses any other property name before JSON.parse makes it a key: XS keeps every property
   * name it ever saw in a table sized at build time, so unknown names are refused unread.
   */
  keyAllowed?: (key: string) => boolean;
}

/** null when the text is within bounds, else what is wrong and where. */
export function checkJsonShape(json: string, limits: ShapeLimits = {}): string | null {
  const maxDepth = limits.depth ?? MAX_DEPTH, maxValues = limits.values ?? MAX_VALUES;
  const maxContainers = limits.containers ?? MAX_CONTAINERS, keyAllowed = limits.keyAllowed;
  const text = walkable(json);
  // Per open level: is it an object, does its next string name a key, where its keys start in
  // `keys`, and its element index (arrays). Grown to the depth reached, at most maxDepth.
  const isObj: boolean[] = [], expectKey: boolean[] = [], keysFrom: number[] = [], index: number[] = [];
  const keys: string[] = [];
  let depth = 0, values = 0, containers = 0;
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
      const top = depth - 1;
      if (top >= 0 && isObj[top] && expectKey[top]) {
        let key = text.slice(start + 1, i);
        if (escaped) {
          try { key = JSON.parse(text.slice(start, i + 1)) as string; } catch { /* not a string literal: JSON.parse will refuse the text */ }
        }
        for (let k = keysFrom[top]; k < keys.length; k++) {
          if (keys[k] === key) return `duplicate key '${quote(key)}' at offset ${start}`;
        }
        keys.push(key);
        if (keyAllowed && !keyAllowed(key)) return `${pathOf(depth, isObj, keys, keysFrom, index)} is not a field any request has (offset ${start})`;
        expectKey[top] = false;
      }
      continue;
    }
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (depth >= maxDepth) return `nested deeper than ${maxDepth} levels at offset ${i}`;
      if (++containers > maxContainers) return `more than ${maxContainers} objects and arrays (offset ${i})`;
      isObj[depth] = c === OPEN_OBJ;
      expectKey[depth] = c === OPEN_OBJ;
      keysFrom[depth] = keys.length;
      index[depth] = 0;
      depth++;
      if (++values > maxValues) return `more than ${maxValues} values`;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      if (depth > 0) {
        depth--;
        keys.length = keysFrom[depth];
      }
    } else if (c === COMMA) {
      const top = depth - 1;
      if (top >= 0 && isObj[top]) expectKey[top] = true;
      else if (top >= 0) index[top]++;
      if (++values > maxValues) return `more than ${maxValues} values`;
    } else if (c === COLON) {
      if (depth > 0) expectKey[depth - 1] = false;
    }
  }
  return null;
}

/** "/config/links/eth9": the JSON Pointer of the key just read, each step cut short. */
function pathOf(depth: number, isObj: readonly boolean[], keys: readonly string[], keysFrom: readonly number[], index: readonly number[]): string {
  let p = "";
  for (let l = 0; l < depth; l++) {
    // An object's current key is the last it has read: the one before the next level's first key.
    const last = (l + 1 < depth ? keysFrom[l + 1] : keys.length) - 1;
    p += "/" + (isObj[l] ? quote(last >= keysFrom[l] ? keys[last] : "") : String(index[l]));
  }
  return p;
}
