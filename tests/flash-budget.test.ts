// Flash wear (issue 20): a day with the broker away while the primary flaps every 6 s raises an
// event every few seconds; the store-and-forward queue may still write the Store at most 100 times
// an hour, keep the newest events, and count what it dropped. On Node and on XS (run() runs both
// and insists they agree).
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run } from "../testing/scenario-runs";
import { pacedEvents } from "../sim/scenario/paced-events";

const HOUR = 3600000;
const DAY = 24 * HOUR;

test("a day offline with the primary flapping every 6 s: at most 100 store writes an hour, the newest events kept, the dropped counted (Node and XS)", () => {
  const hourly: number[][] = [];
  const sc = example("flapping-primary", { seed: 3, durationMs: DAY + 5 * 60000, faults: [
    { atMs: 10000, kind: "broker-down" },
    { atMs: 20000, link: "wan0", kind: "flap", periodMs: 6000, count: Math.floor((DAY - 30000) / 6000) },
    { atMs: DAY, kind: "broker-up" },
  ] });
  const r = run(sc, { prepare: (w) => {
    const mine = [0];
    hourly.push(mine);
    for (let h = 1; h <= 24; h++) w.clock.at(h * HOUR, () => mine.push(w.store.writes));
  } });
  for (const samples of hourly) {
    const perHour = samples.slice(1).map((n, i) => n - samples[i]);
    assert.ok(Math.max(...perHour) <= 100, `store writes per hour: ${perHour.join(", ")}`);
  }
  const raised = r.result.events.length;
  const hb = r.result.lastHeartbeat as { dropped: number; storeWrites: number; queued: number };
  assert.ok(raised > 10000, `the flapping raised events all day: ${raised}`);
  assert.ok(hb.storeWrites > 0 && hb.storeWrites <= 24 * 100 + 10, `the heartbeat reports the store writes: ${hb.storeWrites}`);
  // What reached the broker after it came back is the newest the queue held; the rest is counted.
  assert.equal(r.result.eventsLost, hb.dropped, "lost = dropped, nothing else");
  const replayed = r.world.broker.arrivals.filter((a) => a.atMs >= DAY && a.topic.endsWith("/event")).map((a) => JSON.parse(a.payload) as { seq: number; atMs: number });
  // Link-state events beyond the firmware's pace are never published (counted as eventsPaced).
  const paced = pacedEvents(r.result.events);
  assert.ok(paced.size > 0 && r.result.eventsPaced === paced.size, `paced ${paced.size}`);
  const offline = r.result.events.filter((e) => e.atMs > 10000 && e.atMs < DAY && !paced.has(e));
  const newest = offline.slice(-hb.queued - replayed.length).map((e) => e.atMs);
  assert.ok(replayed.some((e) => e.atMs === offline.at(-1)!.atMs), "the newest event raised offline reached the broker");
  const oldestReplayed = Math.min(...replayed.filter((e) => e.atMs < DAY).map((e) => e.atMs));
  assert.ok(oldestReplayed >= newest[0], `only the newest were kept: the oldest replayed is from ${oldestReplayed} ms`);
});
