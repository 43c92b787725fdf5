// The firmware's shape, checked: no import circle between src/'s files or between its folders
// (health, failover, watchdog, telemetry, config; ports.ts and router.ts each stand alone), and
// every Store key in one home, within the Store's limits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ROOT } from "../testing/scenario-runs";
import { findCycle } from "../testing/layout";
import { STORE_KEYS, STORE_KEY_MAX_CHARS, STORE_VALUE_BYTES, STORE_VALUE_MAX_BYTES, KEY_QUEUE_RECORD } from "../src/config/store-keys";
import { RECORDS, RECORD_BYTES } from "../src/telemetry/event-queue";
import { CONFIG_MAX_BYTES } from "../src/config/config-slots";

const SRC = join(ROOT, "src");

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.includes("generated")).map((f) => join(dir, f));
}

/** src-relative file -> the src-relative files it imports (type-only imports and re-exports too). */
function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files(SRC)) {
    const to: string[] = [];
    for (const m of readFileSync(f, "utf8").matchAll(/^\s*(?:import|export)[^;]*?from\s+"(\.[^"]+)"/gm)) {
      to.push(relative(SRC, resolve(dirname(f), m[1])) + ".ts");
    }
    g.set(relative(SRC, f), to);
  }
  return g;
}

/** A folder of src/, or a file at its root standing for itself. */
const folderOf = (file: string) => file.includes("/") ? file.slice(0, file.indexOf("/")) : file;


function folderGraph(files: Map<string, string[]>): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const [f, to] of files) {
    const from = folderOf(f);
    const out = g.get(from) ?? [];
    for (const t of to) if (folderOf(t) !== from && !out.includes(folderOf(t))) out.push(folderOf(t));
    g.set(from, out);
  }
  return g;
}

test("src/ has no import circle between its folders", () => {
  const g = folderGraph(importGraph());
  assert.ok(g.has("health") && g.has("config") && g.has("router.ts"));
  assert.equal(findCycle(g)?.join(" -> ") ?? null, null);
});

test("src/ has no import circle between its files", () => {
  assert.equal(findCycle(importGraph())?.join(" -> ") ?? null, null);
});

test("the circle check finds circles", () => {
  assert.deepEqual(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])), ["a", "b", "c", "a"]);
  assert.equal(findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), null);
  assert.deepEqual(folderGraph(new Map([["x/a.ts", ["y/b.ts", "x/c.ts"]], ["y/b.ts", ["x/c.ts"]]])).get("y"), ["x"]);
});

test("every Store key has one home, fits NVS, and no other file spells one", () => {
  assert.equal(new Set(STORE_KEYS).size, STORE_KEYS.length, "keys are distinct");
  for (const k of [...STORE_KEYS, KEY_QUEUE_RECORD + (RECORDS - 1)]) assert.ok(k.length > 0 && k.length <= STORE_KEY_MAX_CHARS, k);
  assert.ok(!STORE_KEYS.some((k) => k.startsWith(KEY_QUEUE_RECORD) && /^\d+$/.test(k.slice(KEY_QUEUE_RECORD.length))), "no key looks like a queue record");
  assert.ok(STORE_VALUE_BYTES < STORE_VALUE_MAX_BYTES);
  assert.equal(RECORD_BYTES, STORE_VALUE_BYTES);
  assert.equal(CONFIG_MAX_BYTES, STORE_VALUE_BYTES);
  for (const f of files(SRC)) {
    if (f.endsWith("store-keys.ts")) continue;
    const text = readFileSync(f, "utf8");
    const literal = /\b(?:store|this\.store)\.(?:get|set|remove)\(\s*["'`]/.exec(text);
    assert.equal(literal, null, `${relative(ROOT, f)} names a Store key in place: ${literal?.[0]}`);
    assert.ok(!/\b4000\b/.test(text.replace(/\/\/.*$/gm, "")), `${relative(ROOT, f)} repeats the NVS value limit`);
  }
});

test("the NVS limits have one home: the device, desktop, simulator and provisioning code import them", () => {
  const rooms = ["hardware", "fleet", "sim", "testing"].map((r) => join(ROOT, r));
  for (const f of rooms.flatMap(files).filter((f) => !f.includes("/tests/"))) {
    const code = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const value = code.split("\n").find((line) => /\b4000\b/.test(line) && /bytes|nvs|store|preference/i.test(line));
    assert.equal(value, undefined, `${relative(ROOT, f)} repeats the NVS value limit (src/config/store-keys.ts): ${value?.trim()}`);
    const key = /(?:key|KEY)\w*(?:\.length)?\s*(?:>|<=?|=)\s*15\b/.exec(code);
    assert.equal(key, null, `${relative(ROOT, f)} repeats the NVS key limit: ${key?.[0]}`);
  }
});

test("no RegExp is made at the top level of a firmware module: one made while preloaded crashes XS", () => {
  // Moddable SDK 8.2.3: a preloaded RegExp keeps no match data, and each exec borrows a block the
  // collector takes for a chunk (xsre.c fxAllocateRegExpData): SIGSEGV in the lin app, 5 of 21
  // device runs with console-dated commands. The generated validators make theirs on use too.
  const offenders: string[] = [];
  for (const f of [...files(SRC), ...files(join(ROOT, "hardware"))]) {
    readFileSync(f, "utf8").split("\n").forEach((line, i) => {
      if (/^(?:export\s+)?(?:const|let|var)\s+\w+\s*=\s*(?:new RegExp\(|\/(?![/*]))/.test(line)) offenders.push(`${relative(ROOT, f)}:${i + 1}`);
    });
  }
  const generated = readFileSync(join(SRC, "config/generated/validators.ts"), "utf8");
  for (const m of generated.matchAll(/const (pattern\d+) = new RegExp\(/g)) offenders.push(`validators.ts ${m[1]}`);
  assert.ok(/const pattern\d+ = \(\) => new RegExp\(/.test(generated), "the validators still check their patterns");
  assert.deepEqual(offenders, []);
});
