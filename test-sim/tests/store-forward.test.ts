// Events raised while the broker is unreachable wait in a bounded queue kept in the Store and are
// replayed in order; when it is full the oldest go and the drop count is reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run } from "./helpers";

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
