// Per-router quotas in the collector (issue 20), as units: the token bucket that bounds what one
// router may have stored, and the link names one router may add to the rollups per minute (16 new
// names per heartbeat took a collector from 0.49 to 1.29 GB and link_minutes +2.09 M rows).
import { test } from "node:test";
import assert from "node:assert/strict";
import { RouterQuota } from "../collector/router-quota";
import { MinuteRollups } from "../collector/rollup";
import type { Heartbeat } from "../collector/decode";

const T0 = Date.UTC(2026, 11, 2, 3, 0, 0);

test("router quota: a burst, then the rate; one router's spending never touches another's; drops counted per router", () => {
  const q = new RouterQuota({ burst: 5, perMinute: 6 });
  let ok = 0;
  for (let i = 0; i < 20; i++) if (q.take("flood", T0)) ok++;
  assert.equal(ok, 5, "the burst");
  assert.equal(q.take("calm", T0), true, "another router has its own allowance");
  assert.equal(q.take("flood", T0 + 9000), false, "0.9 of a token after 9 s");
  assert.equal(q.take("flood", T0 + 10000), true, "one token every 10 s");
  q.count("flood", 3);
  assert.deepEqual([...q.takeDropped()], [["flood", 16 + 3]]);
  assert.equal(q.takeDropped().size, 0);
  // Full buckets are forgotten: the map holds only routers that spent recently.
  q.take("x", T0 + 20 * 60000);
  assert.ok(q.routers <= 2, `buckets kept: ${q.routers}`);
});

test("rollups: one router inventing 16 new link names per heartbeat gets 16 names a minute, the rest left out and counted", () => {
  const r = new MinuteRollups();
  let left = 0;
  const hb = (k: number): Heartbeat => ({ seq: k, epoch: 1, uptimeMs: k * 1000, active: null, configVersion: 1,
    links: Array.from({ length: 16 }, (_, i) => ({ name: `x${k}-${i}`, state: "up" as const, rttMs: 1, lossPct: 0, jitterMs: 0 })) });
  for (let k = 0; k < 200; k++) left += r.add("evil", hb(k), T0 + k * 100); // 20 s, one minute
  r.add("good", { seq: 1, epoch: 1, uptimeMs: 1, active: "wan0", configVersion: 1, links: [{ name: "wan0", state: "up", rttMs: 5, lossPct: 0, jitterMs: 1 }] }, T0);
  const b = r.take();
  assert.equal(b.minutes.filter((m) => m.router === "evil").length, 16);
  assert.equal(left, 200 * 16 - 16);
  assert.equal(b.minutes.filter((m) => m.router === "good").length, 1, "another router's link is kept");
  // The next minute the router has 16 names again (a renamed interface is not locked out for good).
  assert.equal(r.add("evil", hb(999), T0 + 60000), 0);
});
