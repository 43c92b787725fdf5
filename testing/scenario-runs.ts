// Shared by the tests: load example scenarios, run them, pick events.
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseScenario, type Scenario } from "../sim/scenario/load-scenario";
import { runScenario, type RunOptions } from "../sim/scenario/run-scenario";
import type { LoggedEvent } from "../sim/world/world";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SCENARIOS = ROOT + "sim/scenarios/";

export function scenarioText(name: string): string {
  return readFileSync(SCENARIOS + name + ".json", "utf8");
}

/** An example scenario, optionally with fields replaced (seed, faults, config...). */
export function example(name: string, patch: Record<string, unknown> = {}): Scenario {
  return parseScenario(JSON.stringify({ ...JSON.parse(scenarioText(name)), ...patch }), name, SCENARIOS);
}

/**
 * Run a scenario with the firmware in Node and again inside an XS worker, and insist the two event
 * logs and scores are identical: every scenario in the test suite checks both hosts.
 * XS=0 skips the XS run (quicker local iteration; CI always runs both).
 */
export function run(sc: Scenario, options: RunOptions = {}) {
  const node = runScenario(sc, options);
  if (process.env.XS !== "0") {
    const xs = runScenario(sc, { ...options, xs: true });
    assert.equal(JSON.stringify(xs.result), JSON.stringify(node.result), `${sc.name} (seed ${sc.seed}): XS and Node runs differ`);
  }
  return node;
}

export function ofType<T extends LoggedEvent["type"]>(events: LoggedEvent[], type: T): Array<LoggedEvent & { type: T }> {
  return events.filter((e): e is LoggedEvent & { type: T } => e.type === type);
}
