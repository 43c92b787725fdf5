// Each testbed fault as a simulator scenario on the virtual clock: the same links (a clean
// Ethernet primary and LTE backup, RTT as the namespaces have it), the same users (a two-way call
// of 50 packets/s), the same timeline. The firmware's decisions on the real stack and in the
// simulator are put side by side; where they differ, the table says so.
import type { FaultPlan } from "./faults";
import { parseScenario, type Fault } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { FIRMWARE_SETTLE_MS } from "./systems/firmware";

/** The first route (about a second after boot on the testbed), then the firmware's settle time, then the fault. */
export const TWIN_FAULT_AT_MS = 1000 + FIRMWARE_SETTLE_MS;

function faultsFor(plan: FaultPlan): Fault[] {
  const at = TWIN_FAULT_AT_MS, end = at + plan.holdMs, link = "wan0";
  switch (plan.name) {
    case "blackhole": return [{ atMs: at, link, kind: "blackhole" }, { atMs: end, link, kind: "restore" }];
    case "carrier-down": return [{ atMs: at, link, kind: "carrier-down" }, { atMs: end, link, kind: "carrier-up" }];
    case "loss-10": return [{ atMs: at, link, kind: "loss", rate: 0.1, durationMs: plan.holdMs }];
    case "gaps-1s": return [{ atMs: at, link, kind: "gaps", everyMinMs: 20000, everyMaxMs: 20000, gapMinMs: 1000, gapMaxMs: 1000, durationMs: plan.holdMs }];
    case "icmp-filtered": return [{ atMs: at, link, kind: "icmp-limit", rate: 1, durationMs: plan.holdMs }];
    case "bufferbloat": return [{ atMs: at, link, kind: "bufferbloat", peakMs: 1500, rampMs: 2000, durationMs: plan.holdMs }];
  }
}

/** The simulator's route decisions (the link each failover or failback moved to) after the fault. */
export function twinDecisions(plan: FaultPlan, afterMs: number, seed = 1): string[] {
  const sc = parseScenario(JSON.stringify({
    name: `testbed-${plan.name}`, seed, durationMs: TWIN_FAULT_AT_MS + plan.holdMs + afterMs,
    links: [
      { name: "wan0", kind: "ethernet", priority: 1, rttMs: 1, jitterMs: 0, loss: 0 },
      { name: "lte0", kind: "lte", priority: 2, rttMs: 1, jitterMs: 0, loss: 0 },
    ],
    traffic: { profile: "busy", rxPps: 60 },
    faults: faultsFor(plan),
  }), "testbed");
  const { result } = runScenario(sc);
  return result.events
    .filter((e) => (e.type === "failover" || e.type === "failback") && e.atMs >= TWIN_FAULT_AT_MS)
    .map((e) => (e as { to: string }).to);
}
