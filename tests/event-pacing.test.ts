// Issue 20, "the firmware paces its own events": a carrier that flaps every second made two
// link-state events a second, each published at QoS 1 (7,002 in a simulated hour). The router now
// publishes at most 10 link-state events per link at once, then one per 30 s, and counts the rest
// in its heartbeat (eventsPaced); its own event log, failovers and failbacks are untouched.
// Node and XS (helpers.run compares the two).
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run, ofType } from "../testing/scenario-runs";
import { LINK_STATE_BURST, LINK_STATE_EVERY_MS } from "../src/telemetry/event-pacer";

const two = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15 },
];

test("a primary flapping every second for 10 minutes: link-state events published within the pace, the rest counted; every failover published", (t) => {
  const durationMs = 12 * 60000;
  const sc = example("primary-blackhole", { links: two, durationMs,
    faults: [{ atMs: 10000, link: "wan0", kind: "flap", periodMs: 1000, downMs: 500, count: 600 }] });
  const r = run(sc);
  const published = r.world.broker.arrivals.filter((a) => a.topic.endsWith("/event")).map((a) => JSON.parse(a.payload) as { type: string; link?: string });
  const seen = ofType(r.result.events, "link-state").length;
  const sent = published.filter((e) => e.type === "link-state").length;
  const paced = Number((r.result.lastHeartbeat as Record<string, unknown> | null)?.eventsPaced ?? 0);
  const perLink = LINK_STATE_BURST + Math.ceil(durationMs / LINK_STATE_EVERY_MS) + 1;
  t.diagnostic(`link-state changes seen ${seen}, published ${sent}, paced ${paced}`);
  assert.ok(seen >= 1000, `the router saw ${seen} link-state changes`);
  assert.ok(sent <= 2 * perLink, `${sent} link-state events published (at most ${perLink} per link)`);
  assert.equal(sent + paced, seen, `published ${sent} + paced ${paced} = seen ${seen}`);
  for (const type of ["failover", "failback", "initial", "dampened", "boot"]) {
    assert.equal(published.filter((e) => e.type === type).length, r.result.events.filter((e) => e.type === type).length, `every ${type} published`);
  }
});

test("a link that changes a few times is reported in full: nothing paced", () => {
  const r = run(example("primary-blackhole", { links: two, durationMs: 120000 }));
  const published = r.world.broker.arrivals.filter((a) => a.topic.endsWith("/event") && JSON.parse(a.payload).type === "link-state").length;
  assert.ok(published > 0);
  assert.equal(published, ofType(r.result.events, "link-state").length);
  assert.equal((r.result.lastHeartbeat as Record<string, unknown> | null)?.eventsPaced, undefined);
});
