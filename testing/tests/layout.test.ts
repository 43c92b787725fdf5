// The layout is the architecture: rooms on rings (testing/layout.ts), no import from a lower ring
// to a higher one or sideways, and no import circle between files or between folders anywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { REPO_ROOT } from "../../fleet/paths";
import { findCycle, folderGraph, importGraph, ringBreaches, RINGS } from "../layout";

const graph = importGraph(REPO_ROOT);

test("every room is on a ring and every import goes down a ring (or stays in its room)", () => {
  assert.ok(graph.size > 200, `read only ${graph.size} files`);
  assert.deepEqual(ringBreaches(graph), []);
});

test("no import circle between files", () => {
  assert.equal(findCycle(graph)?.join(" -> ") ?? null, null);
});

test("no import circle between folders", () => {
  assert.equal(findCycle(folderGraph(graph))?.join(" -> ") ?? null, null);
});

test("the checks catch what they should", () => {
  const g = new Map<string, string[]>([
    ["src/router.ts", ["sim/world/world.ts"]],              // firmware reaching up
    ["fleet/broker/acl.ts", ["sim/world/sim-broker.ts"]],  // the fleet reaching the simulator
    ["hardware/lan.ts", ["dashboard/src/app.ts"]],          // sideways, same ring
    ["bench/bench.ts", ["sim/scenario/run-scenario.ts"]],  // down: fine
    ["fleet/tests/x.test.ts", ["demo/start.ts"]],           // tests are on top: fine
    ["sim/world/world.ts", ["sim/xs/xs-host.ts"]],
    ["sim/xs/xs-host.ts", ["sim/world/firmware-host.ts"]],
    ["sim/world/firmware-host.ts", []],
    ["a/one.ts", ["a/two.ts"]], ["a/two.ts", ["a/one.ts"]],
  ]);
  assert.deepEqual(ringBreaches(g).filter((b) => !b.startsWith("a/")), [
    "src/router.ts -> sim/world/world.ts",
    "fleet/broker/acl.ts -> sim/world/sim-broker.ts",
    "hardware/lan.ts -> dashboard/src/app.ts",
  ]);
  assert.deepEqual(findCycle(g), ["a/one.ts", "a/two.ts", "a/one.ts"]);
  g.delete("a/one.ts"); g.delete("a/two.ts");
  assert.equal(findCycle(g), null);
  assert.deepEqual(findCycle(folderGraph(g)), ["sim/world", "sim/xs", "sim/world"]);
  assert.ok(RINGS.src < RINGS.hardware && RINGS.fleet < RINGS.sim && RINGS.sim < RINGS.testing);
});
