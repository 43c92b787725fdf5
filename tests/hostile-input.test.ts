// Issue 11, the firmware's side: every way a message from the fleet side could crash, wedge or
// bend the router, as a case. Scenario cases run the real src/ in Node and again in an XS worker
// and insist both agree (helpers.run); the XS-only cases call the firmware's pieces on the engine
// the device runs (dist/units-xs.js). Item numbers are the issue's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { example, run, ofType } from "../testing/scenario-runs";
import type { FleetMessage } from "../sim/scenario/load-scenario";
import { commandAt, dated } from "../testing/dated-commands";
import { runScenario } from "../sim/scenario/run-scenario";
import { XsWorker } from "../sim/xs/xs-worker";
import { SimStore } from "../sim/world/sim-store";
import { checkMessage } from "../dashboard/src/message-schemas";
import { checkJsonShape } from "../src/config/json-guard";
import { MAX_INBOUND_BYTES, MAX_DEPTH, MAX_VALUES, MAX_CONTAINERS } from "../src/config/limits";
import { CONFIG_MAX_BYTES } from "../src/config/config-slots";
import { parseConfig } from "../src/config/config";
import { EPOCH_MAX, nextEpoch } from "../src/watchdog/boot-guard";
import { MessageAssembler } from "../hardware/ports/message-assembler";
import { fuzzFirmware, REPLY_MAX_BYTES, EVENT_MAX_BYTES } from "../testing/fuzz/fuzz-firmware";
import { Inbound } from "../src/telemetry/inbound";
import { EventLog } from "../src/telemetry/events";
import { topicsFor } from "../src/telemetry/topics";
import type { MqttSession } from "../src/ports";
import { brokerFor, until, FleetWatcher } from "../testing/broker";
import { sleep } from "../testing/sleep";
import { recordBrokerKind } from "../testing/environment";
import { LiveFleet, DEFAULT_LINKS } from "../sim/live/fleet";
import { MAX_PACKET_BYTES } from "../sim/live/mqttjs-session";
import configSetSchema from "../src/config/config-set.schema.json";
import deviceConfigSchema from "../src/config/device-config.schema.json";
import cmdFailover from "../src/config/cmd-failover.schema.json";
import cmdReboot from "../src/config/cmd-reboot.schema.json";
import cmdProbeNow from "../src/config/cmd-probe-now.schema.json";

const XS = process.env.XS !== "0";
const UNITS = fileURLToPath(new URL(import.meta.url.includes("/dist/tests/") ? "../units-xs.js" : "../dist/units-xs.js", import.meta.url));

const two = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15 },
];

function scenario(messages: FleetMessage[], extra: Record<string, unknown> = {}) {
  return example("primary-blackhole", { links: two, durationMs: 60000, faults: [], messages, ...extra });
}

/** Node and XS, compared; the Node run is returned. */
function hostile(messages: FleetMessage[], extra: Record<string, unknown> = {}) {
  return run(scenario(messages, extra));
}

type Result = ReturnType<typeof hostile>;

function bytes(s: string): number { return Buffer.byteLength(s, "utf8"); }

/** Every reply and event the router sent is within the bounds, and every reply is well-formed. */
function assertBounded(r: Result): void {
  for (const a of r.world.broker.arrivals) {
    if (a.topic.endsWith("/reply")) {
      assert.ok(bytes(a.payload) <= REPLY_MAX_BYTES, `reply of ${bytes(a.payload)} bytes: ${a.payload.slice(0, 200)}`);
      assert.equal(checkMessage("reply", a.payload), null, a.payload);
    }
    if (a.topic.endsWith("/event")) {
      assert.ok(bytes(a.payload) <= EVENT_MAX_BYTES, `event of ${bytes(a.payload)} bytes: ${a.payload.slice(0, 200)}`);
      assert.equal(checkMessage("event", a.payload), null, a.payload);
    }
  }
}

/** Nothing the router runs on moved. */
function assertUnchanged(r: Result): void {
  const res = r.result;
  assert.equal(res.failovers, 0, "no switch");
  assert.equal(res.reboots.length, 0, "no reboot");
  assert.equal(res.finalActive, "wan0");
  assert.equal(res.lastHeartbeat?.configVersion, 1, "config kept");
  assert.equal(ofType(res.events, "config-applied").length + ofType(res.events, "pinned").length, 0);
}

function onlyReply(r: Result): Record<string, unknown> {
  assert.equal(r.result.replies.length, 1, JSON.stringify(r.result.replies));
  return r.result.replies[0].reply;
}

/** An XS worker with the firmware's pure pieces loaded (dist/units-xs.js). */
function unitsWorker(): { call: (fn: string, ...args: unknown[]) => unknown; close: () => void } {
  const w = new XsWorker(() => "null");
  w.evaluate(readFileSync(UNITS, "utf8"));
  return {
    call: (fn, ...args) => (JSON.parse(w.command(JSON.stringify({ fn, args })).reply) as { result: unknown }).result,
    close: () => w.close(),
  };
}

// ---- 4: command names that are Object.prototype's ----

for (const name of ["valueOf", "hasOwnProperty", "__proto__", "constructor", "toString"]) {
  test(`4: cmd/${name} is an unknown command: a bounded refusal, no crash, nothing changed`, () => {
    const r = hostile([{ atMs: 20000, topic: `cmd/${name}`, payload: { id: "p1" } }]);
    const reply = onlyReply(r);
    assert.equal(reply.ok, false);
    assert.match(String(reply.error), new RegExp(`unknown command '${name}' \\(known: failover, probe-now, reboot\\)`));
    assert.equal(r.result.lastHeartbeat?.rejected, 1);
    assertUnchanged(r);
    assertBounded(r);
  });
}

test("4: an unknown command with a 60 KB name is quoted short", () => {
  const name = "x".repeat(60000);
  const r = hostile([{ atMs: 20000, topic: `cmd/${name.slice(0, 90)}`, payload: {} }]);
  const reply = onlyReply(r);
  assert.match(String(reply.cmd), /^cmd\/x{32}\.\.\.$/);
  assertBounded(r);
});

// ---- 5: the store-and-forward record stays within the store whatever was queued ----

test("5: a rejection event raised just before the broker goes away is stored and sent later, bounded (Node and XS)", () => {
  // Keys full of quotes (escaped once more in a store record), too many of them: refused, and the
  // refusal raised as the broker dies.
  const raw = JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, i) => ["\"" + i, 0])));
  assert.ok(bytes(raw) <= MAX_INBOUND_BYTES);
  const r = hostile([{ atMs: 20000, topic: "config/set", raw }], { durationMs: 90000,
    faults: [{ atMs: 20008, kind: "broker-down" }, { atMs: 60000, kind: "broker-up" }] });
  assert.equal(r.result.reboots.length, 0);
  assert.equal(r.result.eventsLost, 0);
  const rejected = r.world.broker.arrivals.filter((a) => a.topic.endsWith("/event") && a.payload.includes("config-rejected"));
  assert.ok(rejected.length >= 1, "the rejection event reached the broker");
  // Refused at its first key, which no schema defines (before its 300 values are counted).
  assert.match(rejected[0].payload, /"error":"payload refused before parsing: \/.{1,4}0 is not a field any request has \(offset 1\)"/);
  assertBounded(r);
});

test("5: one 9 KB event queued while the broker is away is dropped and counted, never written over the NVS limit (XS)", { skip: !XS }, () => {
  const u = unitsWorker();
  try {
    const huge = JSON.stringify({ type: "config-rejected", error: "\"\\é".repeat(3000) });
    const small = JSON.stringify({ type: "link-state", link: "wan0" });
    const r = u.call("queueOffline", [small, huge, small]) as { queued: number; dropped: number; recordBytes: number[] };
    assert.deepEqual([r.queued, r.dropped], [2, 1]);
    assert.ok(r.recordBytes.every((b) => b <= 4000), `records ${r.recordBytes}`);
  } finally {
    u.close();
  }
});

// ---- 9: retained commands ----

test("9: a retained cmd/reboot is ignored on every connect (no reboot loop), answered once per connect", () => {
  const r = hostile([
    // Dated and otherwise valid for the whole run: only the retained flag stops it.
    { atMs: 0, topic: "cmd/reboot", payload: { id: "old", epoch: 1, expiresAtMs: 600000, delayMs: 0 }, retain: true },
    { atMs: 0, topic: "config/set", payload: { config: { version: 7 } }, retain: true },
  ], { faults: [{ atMs: 30000, link: "wan0", kind: "blackhole" }] });
  assert.equal(r.result.reboots.length, 0);
  const retained = r.result.replies.filter((x) => /retained message ignored/.test(String(x.reply.error)));
  // Replayed on the first connect and again on the connect over lte0 after the failover.
  assert.equal(retained.length, 4, JSON.stringify(r.result.replies));
  assert.equal(r.result.lastHeartbeat?.configVersion, 1);
  assertBounded(r);
});

test("9: a command published retained while the router listens is live (flag off) and applied once", () => {
  const r = hostile([{ ...commandAt(20000, "probe-now", { id: "p" }), retain: true }],
    { faults: [{ atMs: 30000, link: "wan0", kind: "blackhole" }] });
  const answers = r.result.replies.map((x) => [x.reply.ok, x.reply.error ?? null]);
  assert.deepEqual(answers[0], [true, null], "applied when it arrived live");
  assert.ok(answers.slice(1).every(([ok, e]) => ok === false && /retained/.test(String(e))), JSON.stringify(answers));
});

test("9: the device port passes a RETAIN flag on when its MQTT client gives one", () => {
  const a = new MessageAssembler(MAX_INBOUND_BYTES, (b) => Buffer.from(b).toString("utf8"));
  const m = a.push({ more: false, topic: "t", byteLength: 2, retain: true }, new TextEncoder().encode("{}").buffer as ArrayBuffer);
  assert.deepEqual(m, { topic: "t", payload: "{}", bytes: 2, retained: true });
});

// ---- 10: commands around a failover ----

test("10: cmd/probe-now 50 ms after a cmd/failover survives the session rebuild: both applied and answered", () => {
  const r = hostile([
    commandAt(20000, "failover", { id: "f", link: "lte0", holdMs: 20000 }),
    commandAt(20050, "probe-now", { id: "p" }),
  ]);
  assert.deepEqual(r.result.replies.map((x) => [x.reply.id, x.reply.ok]), [["f", true], ["p", true]]);
  assert.equal(ofType(r.result.events, "pinned").length, 1);
  assertBounded(r);
});

test("10: a request id seen before gets the same answer and is not applied twice", () => {
  const r = hostile([
    commandAt(20000, "failover", { id: "same", link: "lte0", holdMs: 20000 }),
    { atMs: 21000, topic: "cmd/failover", payload: dated(20000, { id: "same", link: "lte0", holdMs: 20000 }) },
  ]);
  assert.equal(ofType(r.result.events, "pinned").length, 1);
  assert.deepEqual(r.result.replies.map((x) => x.reply), [{ cmd: "cmd/failover", ok: true, id: "same" }, { cmd: "cmd/failover", ok: true, id: "same" }]);
});

test("10: a command for another boot, or past its expiry, is refused; one within it runs", () => {
  const r = hostile([
    commandAt(20000, "reboot", { id: "a", epoch: 9, delayMs: 0 }),
    { atMs: 21000, topic: "cmd/reboot", payload: { id: "b", epoch: 1, expiresAtMs: 20500, delayMs: 0 } },
    { atMs: 22000, topic: "cmd/probe-now", payload: { id: "c", epoch: 1, expiresAtMs: 23000 } },
    { atMs: 23000, topic: "cmd/probe-now", payload: { id: "d", expiresAtMs: 99999 } },
  ]);
  const by = Object.fromEntries(r.result.replies.map((x) => [x.reply.id ?? "none", x.reply]));
  assert.match(String(by.a.error), /stale: sent for boot 9, this is boot 1/);
  assert.match(String(by.b.error), /expired at uptime 20500 ms/);
  assert.equal(by.c.ok, true);
  assert.match(String(by.d.error), /must have property epoch when property expiresAtMs is present/);
  assert.equal(r.result.reboots.length, 0);
});

// ---- 11: config size bounded by the store ----

const longName = (n: number, c: string) => (c.repeat(n - 4) + ".com").slice(0, n);

test("11: a schema-valid config of 8 targets with 253-character names is refused by size, not a crash", () => {
  const targets = Array.from({ length: 8 }, (_, i) => ({ kind: "dns", host: longName(253, String.fromCharCode(97 + i)), name: longName(253, "n") }));
  const payload = { id: "big", config: { version: 2, targets } };
  assert.equal(parseConfig({ targets }).ok, true, "the schema alone takes it");
  const r = hostile([{ atMs: 20000, topic: "config/set", payload }]);
  const reply = onlyReply(r);
  assert.equal(reply.ok, false);
  assert.match(String(reply.error), new RegExp(`payload is ${bytes(JSON.stringify(payload))} bytes \\(max ${MAX_INBOUND_BYTES}\\)`));
  assertUnchanged(r);
});

test("11: a config that fits a message but not the store is refused with its stored size", () => {
  const targets = Array.from({ length: 8 }, (_, i) => ({ kind: "dns", host: longName(253, String.fromCharCode(97 + i)), name: longName(90, "n") }));
  const payload = { id: "big", config: { version: 2, targets } };
  assert.ok(bytes(JSON.stringify(payload)) <= MAX_INBOUND_BYTES);
  const r = hostile([{ atMs: 20000, topic: "config/set", payload }]);
  const reply = onlyReply(r);
  assert.match(String(reply.error), new RegExp(`/config is \\d+ bytes as stored, the store holds ${CONFIG_MAX_BYTES}`));
  assert.equal(reply.id, "big");
  assertUnchanged(r);
});

/** The largest text a schema admits, in bytes (finite only if every part is bounded). */
function maxBytes(schema: Record<string, unknown>, defs: Record<string, Record<string, unknown>>): number {
  const s = typeof schema.$ref === "string" ? defs[schema.$ref] : schema;
  if (s.enum) return Math.max(...(s.enum as unknown[]).map((v) => JSON.stringify(v).length));
  const type = s.type as string | undefined;
  if (type === "boolean") return 5;
  if (type === "integer" || type === "number") {
    assert.ok(typeof s.maximum === "number" && typeof s.minimum === "number", `unbounded number ${JSON.stringify(s)}`);
    return Math.max(String(s.maximum).length, String(s.minimum).length) + (type === "number" ? 17 : 0);
  }
  if (type === "string") {
    const m = /\{\d*,(\d+)\}\$$/.exec(String(s.pattern ?? ""));
    const max = typeof s.maxLength === "number" ? s.maxLength : m ? Number(m[1]) : Infinity;
    assert.ok(Number.isFinite(max), `unbounded string ${JSON.stringify(s)}`);
    return 2 + 6 * max; // every character escaped as \uXXXX at worst
  }
  if (type === "array") {
    assert.ok(typeof s.maxItems === "number", `unbounded array ${JSON.stringify(s).slice(0, 80)}`);
    return 2 + s.maxItems * (1 + maxBytes(s.items as Record<string, unknown>, defs));
  }
  assert.equal(type, "object");
  const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>;
  let total = 2;
  for (const [k, v] of Object.entries(props)) total += k.length + 4 + maxBytes(v, defs);
  if (s.additionalProperties && typeof s.additionalProperties === "object") {
    assert.ok(typeof s.maxProperties === "number", "a map must bound its entries");
    const keyMax = maxBytes({ type: "string", ...(s.propertyNames as object) }, defs);
    total += s.maxProperties * (keyMax + 2 + maxBytes(s.additionalProperties as Record<string, unknown>, defs));
  } else assert.equal(s.additionalProperties, false, "no unbounded extra fields");
  return total;
}

/** Most values (containers and scalars), objects and arrays, and deepest nesting a schema admits: what the JSON guard counts. */
function maxShape(schema: Record<string, unknown>, defs: Record<string, Record<string, unknown>>): { values: number; containers: number; depth: number } {
  const s = typeof schema.$ref === "string" ? defs[schema.$ref] : schema;
  if (s.type === "array") {
    const item = maxShape(s.items as Record<string, unknown>, defs);
    const n = s.maxItems as number;
    return { values: 1 + n * item.values, containers: 1 + n * item.containers, depth: 1 + item.depth };
  }
  if (s.type !== "object") return { values: 1, containers: 0, depth: 0 };
  let values = 1, containers = 1, depth = 0;
  for (const v of Object.values((s.properties ?? {}) as Record<string, Record<string, unknown>>)) {
    const c = maxShape(v, defs);
    values += c.values;
    containers += c.containers;
    depth = Math.max(depth, c.depth);
  }
  if (s.additionalProperties && typeof s.additionalProperties === "object") {
    const c = maxShape(s.additionalProperties as Record<string, unknown>, defs);
    values += (s.maxProperties as number) * c.values;
    containers += (s.maxProperties as number) * c.containers;
    depth = Math.max(depth, c.depth);
  }
  return { values, containers, depth: depth + 1 };
}

test("11/13: the largest valid request passes the pre-parse limits (a schema that grows past them fails here)", () => {
  const defs = { "device-config": deviceConfigSchema as Record<string, unknown> };
  for (const schema of [configSetSchema, cmdFailover, cmdReboot, cmdProbeNow]) {
    const m = maxShape(schema as Record<string, unknown>, defs);
    assert.ok(m.values <= MAX_VALUES && m.containers <= MAX_CONTAINERS && m.depth <= MAX_DEPTH, `${(schema as { $id: string }).$id}: ${JSON.stringify(m)}`);
  }
});

test("11: every number, string, array and map in the inbound schemas is bounded (the schema bounds total size)", () => {
  const defs = { "device-config": deviceConfigSchema as Record<string, unknown> };
  const sizes = [configSetSchema, cmdFailover, cmdReboot, cmdProbeNow].map((s) => maxBytes(s as Record<string, unknown>, defs));
  assert.ok(sizes.every(Number.isFinite), `${sizes}`);
  // What the schema bounds is far beyond the store; the byte cap and the stored-size check close it.
  assert.ok(sizes[0] > CONFIG_MAX_BYTES);
});

// ---- 12: replies and events bounded ----

test("12: a 1 MB id gets a reply of a few dozen bytes with no id in it", () => {
  const raw = JSON.stringify({ id: "i".repeat(1 << 20), link: "lte0" });
  const r = hostile([{ atMs: 20000, topic: "cmd/failover", raw }]);
  const reply = onlyReply(r);
  assert.deepEqual(reply, { cmd: "cmd/failover", ok: false, error: `payload is ${bytes(raw)} bytes (max ${MAX_INBOUND_BYTES})` });
  assertUnchanged(r);
  assertBounded(r);
});

test("12: an id that breaks its pattern is not echoed; an error quoting a key is cut short", () => {
  const r = hostile([
    { atMs: 20000, topic: "cmd/failover", raw: JSON.stringify(dated(20000, { id: "j".repeat(3000), link: "lte0" })) },
    { atMs: 21000, topic: "cmd/probe-now", raw: JSON.stringify({ ["k".repeat(3000)]: 1 }) },
  ]);
  const [a, b] = r.result.replies.map((x) => x.reply);
  assert.equal(a.id, undefined);
  assert.match(String(a.error), /^\/id must match pattern/);
  assert.match(String(b.error), /\/k{32}\.\.\. is not a field any request has/);
  assertBounded(r);
});

test("12: 3,000 unknown keys give a small reply and event, and little XS heap", () => {
  const big = JSON.stringify(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => ["key" + i, i])));
  const fits = JSON.stringify(Object.fromEntries(Array.from({ length: 200 }, (_, i) => ["k" + i, i])));
  const under = JSON.stringify(Object.fromEntries(Array.from({ length: 400 }, (_, i) => ["k" + i, 0])));
  assert.ok(bytes(fits) <= MAX_INBOUND_BYTES && bytes(under) <= MAX_INBOUND_BYTES);
  const sc = scenario([
    { atMs: 20000, topic: "cmd/probe-now", raw: big },
    { atMs: 21000, topic: "cmd/probe-now", raw: under },
    { atMs: 22000, topic: "cmd/probe-now", raw: fits },
  ]);
  const r = run(sc);
  const errors = r.result.replies.map((x) => String(x.reply.error));
  assert.match(errors[0], /payload is \d+ bytes \(max 4096\)/);
  // Both refused unread at their first key, which no schema defines (the value count comes later).
  assert.match(errors[1], /\/k0 is not a field any request has \(offset 1\)/);
  assert.match(errors[2], /\/k0 is not a field any request has \(offset 1\)/);
  assertBounded(r);
  if (!XS) return;
  // On XS: what handling each message cost in heap slots (garbage included; the device has 4,928).
  const xs = runScenario(sc, { xs: true, inspect: (w) => {
    const host = w.host as unknown as { messages: Array<{ topic: string; heapDelta: number }> };
    const costs = host.messages.filter((m) => m.topic.endsWith("/cmd/probe-now")).map((m) => m.heapDelta);
    assert.equal(costs.length, 3);
    assert.ok(costs.every((c) => c < 2500), `heap slots per message ${costs}`);
  } });
  assert.equal(xs.result.replies.length, 3);
});

test("12: unknown field names are refused before JSON.parse makes them XS keys (80 of them aborted the lin app)", () => {
  const names = JSON.stringify({ config: Object.fromEntries(Array.from({ length: 80 }, (_, i) => ["unknownField" + i, 1])) });
  const link = JSON.stringify({ config: { version: 9, links: { lte0: { priority: 3 } } } });
  const r = hostile([
    { atMs: 20000, topic: "config/set", raw: names },
    { atMs: 21000, topic: "config/set", raw: link },
  ]);
  const errors = r.result.replies.map((x) => x.reply.error);
  assert.match(String(errors[0]), /refused before parsing: \/config\/unknownField0 is not a field any request has/);
  assert.equal(errors[1], undefined, "a link name of this device is a key it may use");
  assertBounded(r);
});

// ---- 13: size and nesting before parsing ----

test("13: JSON nested 4,000 deep (8 KB) is refused by size, 2,000 deep (4 KB) by depth; no engine dies", () => {
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
  const r = hostile([
    { atMs: 20000, topic: "cmd/probe-now", raw: deep(4000) },
    { atMs: 21000, topic: "cmd/probe-now", raw: deep(2000) },
    { atMs: 22000, topic: "config/set", raw: '{"config":'.repeat(9) + "{}" + "}".repeat(9) },
  ]);
  const errors = r.result.replies.map((x) => String(x.reply.error));
  assert.match(errors[0], /payload is 8000 bytes/);
  assert.match(errors[1], new RegExp(`nested deeper than ${MAX_DEPTH} levels at offset ${MAX_DEPTH}`));
  assert.match(errors[2], /nested deeper than 8 levels/);
  assertUnchanged(r);
});

test("13: the hazard is real: unguarded JSON.parse of 4,000-deep JSON kills an XS engine; the guard refuses it first (XS)", { skip: !XS }, () => {
  const deep = "[".repeat(4000) + "]".repeat(4000);
  const u = unitsWorker();
  try {
    assert.deepEqual(u.call("guardedParse", deep), { refused: "nested deeper than 8 levels at offset 8" });
    assert.deepEqual(u.call("guardedParse", "[[[[1]]]]"), { parsed: true });
  } finally {
    u.close();
  }
  const bare = new XsWorker(() => "null");
  try {
    assert.throws(() => bare.evaluate(`JSON.parse("${deep}")`), /XS worker exited/);
  } finally {
    bare.close();
  }
});

test("13: the guard's scan: depth, value count, duplicate keys (plain and escaped), strings skipped", () => {
  assert.equal(checkJsonShape('{"a":[1,{"b":"[[[[[[[[[["}]}'), null, "brackets inside strings do not count");
  assert.match(checkJsonShape("[".repeat(9) + "]".repeat(9)) ?? "", /nested deeper than 8 levels at offset 8/);
  assert.equal(checkJsonShape("[".repeat(8) + "]".repeat(8)), null);
  assert.match(checkJsonShape("[" + "0,".repeat(300) + "0]") ?? "", /more than 256 values/);
  assert.match(checkJsonShape('{"link":"lte0","link":"wan0"}') ?? "", /duplicate key 'link' at offset 15/);
  assert.match(checkJsonShape('{"link":"lte0","\\u006cink":"wan0"}') ?? "", /duplicate key 'link'/);
  assert.equal(checkJsonShape('{"a":{"x":1},"b":{"x":1}}'), null, "the same key in two objects is fine");
  assert.equal(checkJsonShape('{"a\\"":1,"a":2}'), null, "an escaped quote is part of the key");
});

// ---- the device port: fragments ----

test("device port: a message delivered in pieces is reassembled; one over the cap is read, dropped and reported by size", () => {
  const utf8 = (b: Uint8Array) => Buffer.from(b).toString("utf8");
  const a = new MessageAssembler(MAX_INBOUND_BYTES, utf8);
  const text = JSON.stringify({ id: "frag", reason: "é".repeat(900) });
  const all = Buffer.from(text);
  const piece = (from: number, to: number) => all.buffer.slice(all.byteOffset + from, all.byteOffset + to) as ArrayBuffer;
  assert.equal(a.push({ more: true, topic: "routers/r/cmd/reboot", byteLength: all.length, QoS: 1 } as never, piece(0, 1000)), null);
  assert.equal(a.push({ more: true }, piece(1000, 1460)), null);
  assert.deepEqual(a.push({ more: false }, piece(1460, all.length)), { topic: "routers/r/cmd/reboot", payload: text, bytes: all.length, retained: false });
  // Over the cap: nothing kept, the size reported.
  assert.equal(a.push({ more: true, topic: "t", byteLength: 1 << 20 }, new ArrayBuffer(1460)), null);
  for (let i = 0; i < 700; i++) assert.equal(a.push({ more: true }, new ArrayBuffer(1460)), null);
  assert.deepEqual(a.push({ more: false }, new ArrayBuffer((1 << 20) - 701 * 1460)), { topic: "t", payload: null, bytes: 1 << 20, retained: false });
  // A tail whose start this session never saw is ignored; invalid UTF-8 is no text.
  assert.equal(a.push({ more: false }, new ArrayBuffer(10)), null);
  const strict = new MessageAssembler(MAX_INBOUND_BYTES, (b) => { try { return new TextDecoder("utf-8", { fatal: true }).decode(b); } catch { return null; } });
  assert.deepEqual(strict.push({ more: false, topic: "t", byteLength: 2 }, Uint8Array.of(0xc3, 0x28).buffer), { topic: "t", payload: null, bytes: 2, retained: false });
});

test("device port: what a port reports as unreadable (not UTF-8, or over the cap) is refused by size or as no text", () => {
  const sent: string[] = [];
  const events = new EventLog(() => 0);
  const inbound = new Inbound({ topics: topicsFor("r"), mqtt: {} as MqttSession, events, epoch: 1, bootId: "00000000000000aa", now: () => 0,
    send: (m) => sent.push(m.payload),
    target: { applyConfig: () => null, runningConfigJson: () => null, pin: () => null, reboot: () => assert.fail("no reboot"), probeNow: () => null, hasLink: () => false } });
  inbound.handle({ topic: "routers/r/cmd/reboot", payload: null, bytes: 12, retained: false });
  inbound.handle({ topic: "routers/r/cmd/reboot", payload: null, bytes: 5000, retained: false });
  // A port that says "small" about a big text is not believed.
  inbound.handle({ topic: "routers/r/cmd/reboot", payload: "{" + " ".repeat(5000) + "}", bytes: 2, retained: false });
  inbound.handle({ topic: "routers/r/cmd/reboot", payload: "é".repeat(2100), bytes: 2, retained: false });
  inbound.handle({ topic: "routers/other/cmd/reboot", payload: "{}", bytes: 2, retained: false });
  assert.deepEqual(sent.map((p) => JSON.parse(p).error), [
    "payload is not UTF-8 text (12 bytes)", "payload is 5000 bytes (max 4096)", "payload is 5002 bytes (max 4096)", "payload is 4200 bytes (max 4096)"]);
  assert.equal(inbound.rejected, 4);
});

test("13/9 on Mosquitto: told the cap in CONNECT (MQTT 5), the broker never sends a bigger packet; a retained command is not run", async (t) => {
  const { broker, creds } = await brokerFor(["delta"]);
  if (broker.kind !== "mosquitto") {
    await broker.stop();
    return t.skip("no mosquitto (the embedded broker speaks MQTT 3.1.1 only); apt-get install mosquitto");
  }
  recordBrokerKind(broker);
  const watcher = await FleetWatcher.start(broker.url, creds.fleet, ["routers/+/reply", "routers/+/birth", "routers/+/heartbeat"]);
  // Retained before the router connects: the broker replays it, flagged, on the router's SUBSCRIBE.
  // Dated for the first boot for 5 minutes of uptime: only the retained flag stops it.
  await watcher.client.publishAsync("routers/delta/cmd/reboot", JSON.stringify({ id: "stale", epoch: 1, expiresAtMs: 300000, delayMs: 0 }), { qos: 1, retain: true });
  const fleet = new LiveFleet([{ deviceId: "delta", seed: 4, links: DEFAULT_LINKS.slice(0, 2) }], broker.url, (id) => creds.devices.get(id), { protocolVersion: 5 });
  try {
    fleet.start(60000);
    assert.ok(await until(() => watcher.births.length > 0, 10000), "router connected over MQTT 5");
    assert.ok(await until(() => watcher.clocks.has("delta"), 15000), "a heartbeat to date commands by");
    await sleep(500);
    const over = JSON.stringify(watcher.dated("delta", { id: "big", pad: "x".repeat(MAX_PACKET_BYTES) }));
    watcher.client.publish("routers/delta/cmd/probe-now", over, { qos: 1 });
    watcher.client.publish("routers/delta/cmd/probe-now", JSON.stringify(watcher.dated("delta", { id: "small" })), { qos: 1 });
    assert.ok(await until(() => watcher.replies.some((r) => r.reply.id === "small"), 10000));
    await sleep(500);
    const errors = watcher.replies.map((r) => String(r.reply.error ?? ""));
    // Over MQTT 3.1.1 the router gets it and answers "payload is N bytes (max 4096)"; told, the broker drops it.
    assert.ok(!errors.some((e) => /payload is \d+ bytes/.test(e)), `the oversized packet never reached the router: ${errors}`);
    assert.ok(errors.some((e) => /retained message ignored/.test(e)), `the RETAIN flag reached the firmware: ${errors}`);
    assert.ok(watcher.replies.every((r) => r.reply.id !== "stale"), "the retained reboot was not taken as a request");
    assert.equal(fleet.world("delta").reboots.length, 0, "and not run");
  } finally {
    fleet.close();
    // Clear the retained command so it does not outlive the test in a reused broker.
    await watcher.client.publishAsync("routers/delta/cmd/reboot", "", { qos: 1, retain: true }).catch(() => {});
    watcher.client.end(true);
    await broker.stop();
  }
});

// ---- low ----

test("low: config writes are rate-limited; the running config sent again writes nothing", () => {
  const configs: FleetMessage[] = Array.from({ length: 8 }, (_, i) => ({ atMs: 20000 + i * 1000, topic: "config/set", payload: { id: "c" + i, config: { version: 2 + i } } }));
  configs.push({ atMs: 40000, topic: "config/set", payload: { id: "again", config: { version: 5 } } });
  const r = hostile(configs);
  const replies = r.result.replies.map((x) => x.reply);
  assert.deepEqual(replies.slice(0, 4).map((x) => x.ok), [true, true, true, true]);
  for (const x of replies.slice(4, 8)) {
    assert.equal(x.ok, false);
    assert.match(String(x.error), /rate limited: at most 4 config writes, then one per 60 s; retry in \d+ s/);
    assert.ok(typeof x.retryInMs === "number" && x.retryInMs > 0 && x.retryInMs <= 60000);
  }
  assert.equal(r.result.lastHeartbeat?.configVersion, 5);
  assert.deepEqual(replies[8], { cmd: "config/set", ok: true, id: "again" }, "unchanged: no write, no limit hit");
  assert.equal(ofType(r.result.events, "config-applied").length, 4);
});

test("low: duplicate JSON keys are refused, plainly or behind an escape", () => {
  const r = hostile([
    { atMs: 20000, topic: "cmd/failover", raw: '{"link":"lte0","link":"wan0"}' },
    { atMs: 21000, topic: "cmd/failover", raw: '{"link":"lte0","\\u006cink":"wan0"}' },
  ]);
  for (const x of r.result.replies) assert.match(String(x.reply.error), /payload refused before parsing: duplicate key 'link'/);
  assertUnchanged(r);
});

test("low: version 1e308 and dampening that holds a link off forever are refused by the schema's bounds", () => {
  const r = hostile([
    { atMs: 20000, topic: "config/set", raw: '{"config":{"version":1e308}}' },
    { atMs: 21000, topic: "config/set", payload: { config: { failover: { dampening: { penalty: 1e308, reuse: 0 } } } } },
    { atMs: 22000, topic: "config/set", payload: { config: { failover: { dampening: { halfLifeMs: 86400000, max: 1000000, reuse: 1 } } } } },
  ]);
  const errors = r.result.replies.map((x) => String(x.reply.error));
  assert.match(errors[0], /\/config\/version must be <= 2147483647/);
  assert.match(errors[1], /\/config\/failover\/dampening\/penalty must be <= 100000/);
  assert.match(errors[2], /would hold a link off for up to \d+ h .*at most 24 h/);
  assertUnchanged(r);
});

test("low: no event with an absurd epoch can come from the firmware, whatever the store held", () => {
  for (const stored of ["1e308", "9".repeat(400), String(EPOCH_MAX), "-5", "abc", String(2 ** 53)]) {
    const s = new SimStore();
    s.set("epoch", stored);
    const e = nextEpoch(s);
    assert.ok(Number.isInteger(e) && e >= 1 && e <= EPOCH_MAX, `${stored} -> ${e}`);
  }
  const r = hostile([], { durationMs: 20000 });
  assert.ok(r.result.events.length > 0);
  assert.match(checkMessage("event", JSON.stringify({ epoch: 1e308, seq: 0, atMs: 0, type: "boot" })) ?? "", /\/epoch must be <= 2147483647/);
});

// ---- fuzz: seeded, bounded ----

test("fuzz (Node): 2,000 hostile messages per topic, 0 crashes, each refused with a bounded reply, state unchanged", () => {
  for (const r of fuzzFirmware({ perTopic: 2000, seed: 11 })) {
    assert.deepEqual({ crashes: r.crashes, accepted: r.accepted, unanswered: r.unanswered, overBound: r.overBound, stateChanged: r.stateChanged },
      { crashes: 0, accepted: 0, unanswered: 0, overBound: 0, stateChanged: 0 }, `${r.topic}: ${r.failures.join("\n")}`);
    assert.equal(r.refused, r.sent);
  }
});

test("fuzz (XS): 200 hostile messages per topic on the engine the device runs", { skip: !XS }, () => {
  for (const r of fuzzFirmware({ perTopic: 200, seed: 12, xs: true })) {
    assert.equal(r.refused, r.sent, `${r.topic}: ${r.failures.join("\n")}`);
    assert.ok(r.maxHeapDelta < 4928, `${r.topic}: ${r.maxHeapDelta} heap slots for one message`);
  }
});
