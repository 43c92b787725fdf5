// Found by the lin device build: a config applied from the fleet rebuilds the control plane, and
// the rebuilt link monitors must keep the active link's role, or the active link is probed at the
// standby rate (10 s by default) and a dead primary goes unnoticed that long.
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run } from "../testing/scenario-runs";

const two = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15 },
];

function detection(messages: unknown[]): number[] {
  return run(example("primary-blackhole", {
    links: two, durationMs: 90000, messages,
    // Off the 10 s standby grid, so that a probe does not happen to leave just after the cut.
    faults: [{ atMs: 61500, link: "wan0", kind: "blackhole" }],
  })).result.detectionMs;
}

test("a blackholed primary is found as fast after a config/set as before it", () => {
  const plain = detection([]);
  const afterConfig = detection([{ atMs: 20000, topic: "config/set", payload: { id: "c1", config: { version: 2, telemetry: { heartbeatMs: 5000 } } } }]);
  assert.equal(plain.length, 1);
  assert.equal(afterConfig.length, 1);
  assert.ok(afterConfig[0] <= plain[0] + 500, `detection ${afterConfig[0]} ms after a config/set, ${plain[0]} ms without`);
});
