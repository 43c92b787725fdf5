// Issue 20, finding 9: a 2 KB config of 126 small objects cost 2,392 of the device's 4,928 XS heap
// slots while the router handled it (the JSON guard kept a Set per object; JSON.parse built every
// object before the schema refused the array's length). The guard now counts objects and arrays
// before JSON.parse (MAX_CONTAINERS) and allocates per nesting level, not per object. The heap
// figures are xsnap's meter (slots allocated while handling the message, garbage included), which
// is deterministic for the same bundle and input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { XsWorker } from "../sim/xs/xs-worker";
import { example, run } from "../testing/scenario-runs";
import { runScenario } from "../sim/scenario/run-scenario";
import { checkJsonShape } from "../src/config/json-guard";
import { MAX_CONTAINERS } from "../src/config/limits";

const XS = process.env.XS !== "0";
const UNITS = fileURLToPath(new URL(import.meta.url.includes("/dist/tests/") ? "../units-xs.js" : "../dist/units-xs.js", import.meta.url));
/** The device's XS heap (ESP32 creation: 4,928 slots of 16 bytes). */
const DEVICE_HEAP_SLOTS = 4928;

const two = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15 },
];

/** A config/set whose targets array holds `n` copies of `item`. */
function manyTargets(n: number, item = '{"kind":"icmp"}'): string {
  return `{"config":{"targets":[${Array.from({ length: n }, () => item).join(",")}]}}`;
}

test("a 2 KB config of 126 small objects is refused before JSON.parse, naming the bound, on Node and XS", () => {
  const raw = manyTargets(126);
  assert.ok(raw.length > 2000 && raw.length < 2100, `${raw.length} bytes`);
  const sc = example("primary-blackhole", { links: two, durationMs: 40000, faults: [],
    messages: [{ atMs: 20000, topic: "config/set", raw }, { atMs: 21000, topic: "config/set", payload: { config: { version: 2 } } }] });
  const r = run(sc);
  const replies = r.result.replies.map((x) => x.reply);
  assert.equal(replies.length, 2);
  assert.equal(replies[0].ok, false);
  assert.match(String(replies[0].error), new RegExp(`payload refused before parsing: more than ${MAX_CONTAINERS} objects and arrays \\(offset \\d+\\)`));
  assert.equal(replies[1].ok, true, "the router still takes a good config afterwards");
});

test("handling that config costs the device under 10 % of its XS heap (was 48 %)", { skip: !XS }, () => {
  const sc = example("primary-blackhole", { links: two, durationMs: 30000, faults: [],
    messages: [{ atMs: 20000, topic: "config/set", raw: manyTargets(126) }] });
  let cost = -1;
  runScenario(sc, { xs: true, inspect: (w) => {
    const host = w.host as unknown as { messages: Array<{ topic: string; heapDelta: number }> };
    assert.equal(host.messages.length, 1);
    cost = host.messages[0].heapDelta;
  } });
  assert.ok(cost >= 0 && cost < DEVICE_HEAP_SLOTS / 10, `${cost} heap slots for one 2 KB config (device: ${DEVICE_HEAP_SLOTS})`);
});

test("the guard's own heap does not grow with the number of objects it scans (XS)", { skip: !XS }, () => {
  const w = new XsWorker(() => "null");
  try {
    w.evaluate(readFileSync(UNITS, "utf8"));
    const cost = (text: string): number => {
      w.command(JSON.stringify({ fn: "gc", args: [] }));
      const before = w.lastMeter.currentHeapCount;
      const { reply, meter } = w.command(JSON.stringify({ fn: "shape", args: [text] }));
      assert.equal((JSON.parse(reply) as { result: unknown }).result, null, text.slice(0, 60));
      return meter.currentHeapCount - before;
    };
    // Empty objects: no key strings, so only per-call and per-level costs remain.
    const few = cost(manyTargets(2, "{}")), many = cost(manyTargets(MAX_CONTAINERS - 3, "{}"));
    assert.equal(many, few, `heap slots: ${few} for 2 objects, ${many} for ${MAX_CONTAINERS - 3}`);
  } finally {
    w.close();
  }
});

test("the object-and-array count: at the bound passes, one more is refused with its offset", () => {
  // Three containers around the targets: the message, config and the array.
  const at = manyTargets(MAX_CONTAINERS - 3, "{}"), over = manyTargets(MAX_CONTAINERS - 2, "{}");
  assert.equal(checkJsonShape(at), null);
  assert.match(checkJsonShape(over) ?? "", new RegExp(`more than ${MAX_CONTAINERS} objects and arrays \\(offset ${over.lastIndexOf("{")}\\)`));
  assert.match(checkJsonShape(manyTargets(10, "{}"), { containers: 5 }) ?? "", /more than 5 objects and arrays/);
});
