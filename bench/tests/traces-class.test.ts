// The scorecard's traces class: every run gives the same event log with the firmware in Node and
// in an XS worker, idle and with users' traffic; and its figures (blame, outages of 5 s or more
// caught or missed) measure what they say, checked against a router that never moves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runTrace, TRACE_RUNS } from "../traces-class";
import type { TrackerModel } from "../models/model";
import type { TrafficSpec } from "../../sim/world/sim-traffic";

for (const t of TRACE_RUNS) {
  test(`traces class, ${t.id}: Node and XS give identical event logs, idle and with users' traffic`, () => {
    for (const traffic of [undefined, { profile: "busy" } as TrafficSpec]) {
      const node = runTrace(t, 1, "firmware", traffic);
      const xs = runTrace(t, 1, "firmware-xs", traffic);
      assert.ok(node.events.length >= 2, `${t.id}: the firmware ran (${node.events.length} events)`);
      assert.equal(JSON.stringify(xs.events), JSON.stringify(node.events), `${t.id} ${traffic?.profile ?? "idle"}: XS and Node differ`);
      assert.equal(JSON.stringify(xs.obs), JSON.stringify(node.obs));
    }
  });
}

/** A tracker that never says its link is down: the router stays on the primary whatever happens. */
const stays: TrackerModel = { name: "stays", start: () => {} };
test("traces class figures: a router that stays rides the blackhole out (blame = its length, missed); one that leaves at once catches it", () => {
  const t = TRACE_RUNS.find((x) => x.id === "lossy-jittery-blackhole")!;
  const stay = runTrace(t, 1, stays);
  assert.equal(stay.obs.switches.length, 0);
  assert.deepEqual([stay.caught, stay.missed], [0, 1]);
  // 120 s of blackhole, sampled every 100 ms.
  assert.ok(Math.abs(stay.obs.blameMs - 120000) <= 200, `blame ${stay.obs.blameMs} ms`);
  // Of which all but the first 2 s of the stretch (and of any 10 %-loss silence before it) is beyond grace.
  assert.ok(Math.abs(stay.obs.blameBeyondMs - 118000) <= 200, `beyond ${stay.obs.blameBeyondMs} ms`);
  const fw = runTrace(t, 1, "firmware");
  assert.deepEqual([fw.caught, fw.missed], [1, 0], "the firmware leaves a 2 min blackhole");
  assert.ok(fw.obs.blameMs < stay.obs.blameMs);
});

test("traces class figures: silences shorter than 5 s are never counted as outages caught or missed", () => {
  const t = TRACE_RUNS.find((x) => x.id === "verizon-lte")!;
  const stay = runTrace(t, 1, stays);
  assert.deepEqual([stay.caught, stay.missed], [0, 0]);
  assert.ok(stay.obs.blameMs > 0, "the recording's silences of 0.5 s or more are blame for a router that stays");
  assert.ok(stay.obs.blameBeyondMs < stay.obs.blameMs, "only their part beyond 2 s is beyond grace");
});
