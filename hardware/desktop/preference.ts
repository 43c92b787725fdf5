// Preference for the desktop build, in place of the SDK's lin module. That one reads its file when
// the module is evaluated, and the linker evaluates preloaded modules and everything they import at
// build time: it would start empty and never see what was provisioned. This one reads the file on
// first use, replaces it whole on each write (a temporary file, then rename: a Ctrl-C mid-write
// leaves the old file, where the SDK's deletes it first), and refuses what NVS refuses (the limits
// of src/config/store-keys.ts), so the desktop fails where the device would.
// Same file format as the SDK's lin module: <file root>/modpreferences.json.
import { File } from "file";
import config from "mc/config";
// By module name, not a relative path: this module is linked under the name "preference", so a
// relative import of src/ would not resolve (mcconfig: module "../../src/..." not found).
import { STORE_KEY_MAX_CHARS, STORE_VALUE_MAX_BYTES } from "src/config/store-keys";
import { utf8Length } from "src/config/utf8";

type Value = string | number | boolean | ArrayBuffer;
type Stored = string | number | boolean | { buffer: string };

/** A hand-edited or damaged file larger than this is ignored rather than parsed. */
const MAX_FILE = 256 * 1024;

let cache: Record<string, Record<string, Stored>> | null = null;

const path = (): string => String(config.file.root) + "modpreferences.json";

function load(): Record<string, Record<string, Stored>> {
  if (cache) return cache;
  cache = {};
  try {
    if (!File.exists(path())) return cache;
    const file = new File(path());
    try {
      if (file.length > MAX_FILE) throw new Error(`${path()}: ${file.length} bytes, more than ${MAX_FILE}`);
      const parsed: unknown = JSON.parse(file.read(String));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) cache = parsed as Record<string, Record<string, Stored>>;
    } finally {
      file.close();
    }
  } catch (e) {
    trace(`[error] preference: ${path()} unreadable, starting empty (${String(e)})\n`);
  }
  return cache;
}

function save(): void {
  const tmp = path() + ".tmp";
  if (File.exists(tmp)) File.delete(tmp);
  const file = new File(tmp, true);
  try {
    file.write(JSON.stringify(cache));
  } finally {
    file.close();
  }
  if (!File.rename(tmp, path())) throw new Error(`preference: could not replace ${path()}`);
}

export default class Preference {
  static get(domain: string, key: string): Value | undefined {
    const v = load()[domain]?.[key];
    if (v !== null && typeof v === "object") {
      return typeof v.buffer === "string" ? Uint8Array.from(v.buffer.split(",").map(Number)).buffer : undefined;
    }
    return v;
  }

  static set(domain: string, key: string, value: Value): void {
    if (key.length === 0 || key.length > STORE_KEY_MAX_CHARS) throw new RangeError(`preference key '${key}': 1 to ${STORE_KEY_MAX_CHARS} characters (NVS)`);
    if (typeof value === "string" && utf8Length(value) + 1 > STORE_VALUE_MAX_BYTES) {
      throw new RangeError(`preference ${domain}/${key}: ${utf8Length(value)} bytes, NVS strings hold at most ${STORE_VALUE_MAX_BYTES - 1}`);
    }
    const stored: Stored = value instanceof ArrayBuffer ? { buffer: new Uint8Array(value).toString() } : value;
    const all = load();
    all[domain] ??= {};
    all[domain][key] = stored;
    save();
  }

  static delete(domain: string, key: string): void {
    const all = load();
    if (all[domain]?.[key] === undefined) return;
    delete all[domain][key];
    if (Object.keys(all[domain]).length === 0) delete all[domain];
    save();
  }

  static keys(domain: string): string[] {
    return Object.keys(load()[domain] ?? {});
  }
}
