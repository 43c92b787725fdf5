// A config change is not a new billing period: the router rebuilds its control plane on every
// config/set, and the data budgets' spending, pace and notices must carry over (they were reset to
// zero, and the fleet was told "near" again, after every config change).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { ofType } from "../testing/scenario-runs";
import { DataBudget } from "../src/health/data-budget";

const MIN = 60000;
const BUDGET = { bytes: 10000, period: "day" };

test("a config/set keeps the period's spending and does not repeat the budget notices", () => {
  // Runs start at 12:00 UTC; the config changes (heartbeat only, same budget) at 12:10.
  const sc = parseScenario(JSON.stringify({
    name: "budget-config", seed: 5, durationMs: 30 * MIN,
    links: [
      { name: "wan0", kind: "lte", priority: 1, rttMs: 45, jitterMs: 10, loss: 0 },
      { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 10, loss: 0 },
    ],
    config: { links: { wan0: { budget: BUDGET } } },
    messages: [{ atMs: 10 * MIN, topic: "config/set", payload: { id: "c1", config: { version: 2, links: { wan0: { budget: BUDGET } }, telemetry: { heartbeatMs: 15000 } } } }],
  }), "budget-config");
  const { result, world } = runScenario(sc);
  assert.equal(ofType(result.events, "config-applied").length, 1);
  const notices = ofType(result.events, "budget").map((e) => `${e.action}@${Math.round(e.atMs / 60000)}min`);
  assert.equal(notices.filter((n) => n.startsWith("near")).length, 1, `one "near" in the period: ${notices}`);
  const used = world.broker.arrivals.filter((a) => a.topic.endsWith("/heartbeat"))
    .map((a) => ({ at: a.atMs, used: (JSON.parse(a.payload).links as Array<{ name: string; usedBytes: number }>).find((l) => l.name === "wan0")!.usedBytes }));
  const atChange = used.filter((u) => u.at < 10 * MIN).pop()!.used;
  const next = used.find((u) => u.at > 10 * MIN + 1000)!.used;
  assert.ok(atChange > 5000, `spent before the change: ${atChange}`);
  assert.ok(next >= atChange, `spending carries over the config change: ${atChange} then ${next}`);
  for (let i = 1; i < used.length; i++) assert.ok(used[i].used >= used[i - 1].used, `never falls within the day (at ${used[i].at} ms)`);
});

test("data budget: a budget built from its predecessor carries the period on; changed limits are announced anew", () => {
  const day = { bytes: 10000, period: "day" as const, billingDay: 1, warnPct: 80 };
  const a = new DataBudget(day);
  assert.equal(a.add(8500, 1000, 0), "near");
  const b = new DataBudget(day, a);
  assert.equal(b.used, 8500);
  assert.equal(b.add(100, 2000, 0), null, "not told twice");
  assert.equal(b.add(2000, 3000, 0), "exhausted");
  const bigger = new DataBudget({ ...day, bytes: 12000 }, b);
  assert.equal(bigger.add(0, 4000, 0), "near", "a new size is a new threshold to announce");
  const monthly = new DataBudget({ ...day, period: "month" }, b);
  monthly.add(0, 5000, 0);
  assert.equal(monthly.used, 10600, "a new period length moves the bounds, not the spending");
  assert.ok(monthly.endsAt - monthly.periodStart > 86400000);
  const nextDay = new DataBudget(day, b);
  assert.equal(nextDay.add(10, 86400000 + 1, 0), null);
  assert.equal(nextDay.used, 10, "the period still ends when it ends");
});
