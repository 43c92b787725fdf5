// Events raised while the broker is unreachable wait in a bounded queue kept in the Store and are
// replayed in order; when it is full the oldest go and the drop count is reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run } from "../testing/scenario-runs";
import { EventQueue } from "../src/telemetry/event-queue";
import { SimStore } from "../sim/world/sim-store";
import type { Clock } from "../src/ports";

const links = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15 },
];

function received(r: ReturnType<typeof run>) {
  return r.world.broker.arrivals.filter((a) => a.topic.endsWith("/event")).map((a) => JSON.parse(a.payload) as { epoch: number; seq: number; type: string });
}

test("events raised while the broker is down arrive after it returns, once each and in order", () => {
  const r = run(example("primary-blackhole", { links, durationMs: 240000, faults: [
    { atMs: 20000, kind: "broker-down" },
    { atMs: 30000, link: "wan0", kind: "blackhole" },
    { atMs: 60000, link: "wan0", kind: "restore" },
    { atMs: 150000, kind: "broker-up" },
  ] }));
  assert.equal(r.result.eventsLost, 0);
  const got = received(r);
  const unique = [...new Map(got.map((e) => [`${e.epoch}/${e.seq}`, e])).values()];
  assert.deepEqual(unique.map((e) => e.seq), unique.map((_, i) => i), "every seq, in order");
  assert.ok(unique.some((e) => e.type === "failover") && unique.some((e) => e.type === "failback"));
  assert.equal(r.result.eventsQueued, 0);
});

test("the queue survives a reboot: events from before it are replayed after it", () => {
  const r = run(example("primary-blackhole", { links, durationMs: 240000, faults: [
    { atMs: 20000, kind: "broker-down" },
    { atMs: 30000, link: "wan0", kind: "blackhole" },
    { atMs: 60000, kind: "hang", durationMs: 20000 },
    { atMs: 100000, link: "wan0", kind: "restore" },
    { atMs: 150000, kind: "broker-up" },
  ] }));
  assert.equal(r.result.reboots.length, 1);
  const got = received(r);
  const epoch1 = got.filter((e) => e.epoch === 1).map((e) => e.type);
  assert.ok(epoch1.includes("failover"), "the failover raised offline before the reboot reached the broker");
  assert.ok(got.some((e) => e.epoch === 2), "and the new boot's events too");
  assert.equal(r.result.eventsLost, 0);
});

test("a full queue drops the oldest and reports how many", () => {
  const r = run(example("primary-blackhole", { links, durationMs: 300000, config: { telemetry: { queueMax: 4 } }, faults: [
    { atMs: 20000, kind: "broker-down" },
    { atMs: 30000, link: "wan0", kind: "flap", periodMs: 20000, downMs: 3000, count: 6 },
    { atMs: 250000, kind: "broker-up" },
  ] }));
  const hb = r.result.lastHeartbeat;
  assert.ok(hb && (hb.dropped as number) > 0, `dropped reported: ${JSON.stringify(hb)}`);
  const got = received(r);
  assert.ok(got.length >= 4);
  assert.equal(r.result.eventsLost, hb!.dropped, "lost = dropped, nothing else");
});

test("online in normal operation, events cost no flash writes", () => {
  const r = run(example("primary-blackhole", { links, durationMs: 3600000, faults: [
    { atMs: 600000, link: "wan0", kind: "blackhole" }, { atMs: 900000, link: "wan0", kind: "restore" }] }));
  // Boot writes: cfg0 by the runner, boots, epoch; stable after 5 min: boots, cfgGood.
  assert.ok(r.result.storeWrites <= 6, `store writes: ${r.result.storeWrites}`);
  assert.ok(r.result.failovers === 1 && r.result.eventsLost === 0);
});

// ---- bounded in stored bytes, measured exactly ----

const DAY = 24 * 3600000;
const QUEUE_RECORDS = 8;
const NVS_MAX = 4000;

function utf8Bytes(s: string): number { return Buffer.byteLength(s, "utf8"); }

/** A clock that only fires when told to: the queue's flush timer is driven by hand. */
function manualClock(): Clock {
  return { now: () => 0, once: () => ({}), every: () => ({}), cancel: () => {}, wallMs: () => 0 };
}

function storedQueueBytes(store: SimStore): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < QUEUE_RECORDS; i++) {
    const v = store.get("q" + i);
    if (v !== undefined) sizes.push(utf8Bytes(v));
  }
  return sizes;
}

test("SimStore measures UTF-8 bytes and the string's NUL, as NVS does", () => {
  const s = new SimStore();
  s.set("a", "x".repeat(3999));
  assert.throws(() => s.set("a", "x".repeat(4000)), /is 4000 bytes \(max 3999\)/, "NVS keeps the terminating NUL in its 4000");
  assert.throws(() => s.set("b", "é".repeat(2001)), /is 4002 bytes \(max 3999\)/);
  assert.throws(() => s.set("c", "\u{1F600}".repeat(1001)), /is 4004 bytes/);
});

test("queue records: quotes and multi-byte text are measured as stored, never over the NVS limit", () => {
  const store = new SimStore();
  const q = new EventQueue(store, manualClock(), 200, 5000);
  // Payloads shaped like events: every quote is escaped once more inside the record's JSON array.
  const quoted = JSON.stringify({ type: "watchdog", action: "reset-link", detail: "\"x\" ".repeat(60) });
  const accented = JSON.stringify({ type: "config-rejected", error: "é€😀".repeat(80) });
  for (let i = 0; i < 120; i++) q.push(i % 2 === 0 ? quoted : accented);
  q.flush();
  const sizes = storedQueueBytes(store);
  assert.ok(sizes.length > 1 && sizes.every((b) => b <= NVS_MAX), `record bytes ${sizes}`);
  // Nothing is kept that the records do not hold: what restores is what is queued.
  const again = new EventQueue(store, manualClock(), 200, 5000);
  again.restore();
  assert.equal(again.length, q.length);
  assert.equal(q.length + q.dropped, 120, "every event is either queued or counted as dropped");
});

test("queue: an event too big for one record is dropped and counted; the rest survive", () => {
  const store = new SimStore();
  const q = new EventQueue(store, manualClock(), 64, 5000);
  q.push(JSON.stringify({ type: "link-state", link: "wan0" }));
  q.push(JSON.stringify({ type: "config-rejected", error: "\"".repeat(2500) })); // 2.5 k chars, > 5 kB stored
  q.push(JSON.stringify({ type: "config-rejected", error: "é".repeat(3000) }));   // 3 k chars, 6 kB stored
  q.push(JSON.stringify({ type: "link-state", link: "lte0" }));
  q.flush();
  assert.equal(q.length, 2);
  assert.equal(q.dropped, 2);
  assert.ok(storedQueueBytes(store).every((b) => b <= NVS_MAX));
});

test("queue: when the records are full the oldest go first, and the drops are counted and persisted", () => {
  const store = new SimStore();
  const q = new EventQueue(store, manualClock(), 200, 5000);
  const ev = (i: number) => JSON.stringify({ seq: i, detail: "é\"".repeat(300) }); // ~1.5 kB stored each
  for (let i = 0; i < 60; i++) q.push(ev(i));
  q.flush();
  const total = storedQueueBytes(store).reduce((a, b) => a + b, 0);
  assert.ok(total <= QUEUE_RECORDS * NVS_MAX, `stored ${total} bytes`);
  assert.ok(q.dropped > 0 && q.length + q.dropped === 60);
  const seqs = q.items.map((e) => (JSON.parse(e.payload) as { seq: number }).seq);
  assert.deepEqual(seqs, seqs.map((_, i) => 60 - seqs.length + i), "the newest are kept, in order");
  const again = new EventQueue(store, manualClock(), 200, 5000);
  again.restore();
  assert.equal(again.dropped, q.dropped);
  assert.equal(again.length, q.length);
});

test("broker away for 24 h while a link flaps: no crash on either host, queue bounded in bytes, drops counted", () => {
  let maxRecord = 0;
  const r = run(example("primary-blackhole", { links, durationMs: DAY, faults: [
    { atMs: 10000, kind: "broker-down" },
    { atMs: 60000, link: "wan0", kind: "flap", periodMs: 90000, downMs: 20000, count: 940 },
    { atMs: DAY - 600000, kind: "broker-up" },
  ] }), { prepare: (w) => {
    const set = w.store.set.bind(w.store);
    w.store.set = (k: string, v: string) => {
      if (/^q\d$/.test(k)) maxRecord = Math.max(maxRecord, utf8Bytes(v));
      set(k, v);
    };
  } });
  assert.equal(r.result.reboots.length, 0);
  assert.ok(maxRecord > 0 && maxRecord <= NVS_MAX, `largest record ${maxRecord} bytes`);
  const stored = storedQueueBytes(r.world.store).reduce((a, b) => a + b, 0);
  assert.ok(stored <= QUEUE_RECORDS * NVS_MAX);
  const hb = r.result.lastHeartbeat;
  assert.ok(hb && (hb.dropped as number) > 0, `dropped reported: ${JSON.stringify(hb)}`);
  assert.equal(r.result.eventsLost, hb!.dropped, "lost = dropped, nothing else");
  assert.equal(r.result.eventsQueued, 0, "everything kept was delivered once the broker came back");
});
