// The simulated device's NVS: a key-value store that refuses what the device's NVS refuses.
import type { Store } from "../../src/ports";

export class SimStore implements Store {
  readonly map = new Map<string, string>();
  writes = 0;

  get(key: string): string | undefined { return this.map.get(key); }

  set(key: string, value: string): void {
    // NVS limits: a firmware bug here would be a bug on the device.
    if (key.length > 15) throw new Error(`store key '${key}' longer than 15 characters`);
    // NVS counts bytes (UTF-8), not UTF-16 code units as String.length does.
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > 4000) throw new Error(`store value for '${key}' is ${bytes} bytes (max 4000)`);
    this.writes++;
    this.map.set(key, value);
  }

  /** An NVS erase writes too (the entry's state), so it counts as a write. */
  remove(key: string): void {
    if (this.map.has(key)) this.writes++;
    this.map.delete(key);
  }
}
