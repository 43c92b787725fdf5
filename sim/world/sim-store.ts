// The simulated device's NVS: a key-value store that refuses what the device's NVS refuses.
import type { Store } from "../../src/ports";
import { STORE_KEY_MAX_CHARS, STORE_VALUE_MAX_BYTES } from "../../src/config/store-keys";
import { utf8Length } from "../../src/config/utf8";

export class SimStore implements Store {
  readonly map = new Map<string, string>();
  writes = 0;

  get(key: string): string | undefined { return this.map.get(key); }

  set(key: string, value: string): void {
    // NVS limits: a firmware bug here would be a bug on the device.
    if (key.length > STORE_KEY_MAX_CHARS) throw new Error(`store key '${key}' longer than ${STORE_KEY_MAX_CHARS} characters`);
    // NVS counts bytes (UTF-8), not UTF-16 code units as String.length does, and the string's NUL.
    const bytes = utf8Length(value);
    if (bytes + 1 > STORE_VALUE_MAX_BYTES) throw new Error(`store value for '${key}' is ${bytes} bytes (max ${STORE_VALUE_MAX_BYTES - 1})`);
    this.writes++;
    this.map.set(key, value);
  }

  /** An NVS erase writes too (the entry's state), so it counts as a write. */
  remove(key: string): void {
    if (this.map.has(key)) this.writes++;
    this.map.delete(key);
  }
}
