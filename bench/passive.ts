// npm run bench -- --passive: what the users' own traffic buys (issue 10's table). Blackhole
// detection with and without traffic, probe bytes per day per link by traffic profile, how soon a
// dead standby is found at the slower standby rate, and the scorecard classes with busy traffic
// beside none, for the firmware (the baselines do not read traffic, so their rows would not move).
import { performance } from "node:perf_hooks";
import { parseScenario, type Scenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { Rng } from "../sim/world/random";
import type { TrafficSpec } from "../sim/world/sim-traffic";
import { CLASSES } from "./classes";
import { scoreClass } from "./scorecard";

const DAY = 86400000;
const LINKS = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2, loss: 0 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 10, loss: 0 },
];

function scenario(name: string, seed: number, durationMs: number, faults: object[], traffic?: TrafficSpec): Scenario {
  return parseScenario(JSON.stringify({ name, seed, durationMs, links: LINKS, faults, ...(traffic ? { traffic } : {}) }), name);
}

const phase = (seed: number, salt: number, span: number) => Math.floor(new Rng(seed * 7919 + salt).next() * span);
const fmt = (ms: number) => Number.isNaN(ms) ? "-" : Math.round(ms) + " ms";
const mb = (b: number) => (b / 1e6).toFixed(2) + " MB";

function detections(seeds: number, traffic?: TrafficSpec): number[] {
  const out: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const at = 60000 + phase(seed, 2, 10000);
    out.push(...runScenario(scenario(`blackhole-${seed}`, seed, at + 60000, [{ atMs: at, link: "wan0", kind: "blackhole" }], traffic)).result.detectionMs);
  }
  return out.sort((a, b) => a - b);
}

export function printPassive(seeds: number): void {
  const t0 = performance.now();
  console.log("passive health and probe budget (virtual time; users' traffic: busy = 40 downstream pkt/s all day;");
  console.log("mixed = busy 07:00-23:00, x1.5 from 19:00, 0.3 pkt/s at night; idle = nobody behind the router)");

  console.log(`\nblackhole on the active link (Ethernet 12 ms), ${seeds} seeds:`);
  for (const [label, traffic] of [["with users' traffic (busy)", { profile: "busy" }], ["idle link (probes only)", undefined]] as const) {
    const d = detections(seeds, traffic as TrafficSpec | undefined);
    console.log(`  ${label.padEnd(28)} median ${fmt(d[Math.floor(d.length / 2)])}, worst ${fmt(d[d.length - 1])} (${d.length} detected)`);
  }

  console.log("\nprobe bytes per day, clean links, one simulated day each:");
  for (const profile of ["busy", "mixed", "idle"] as const) {
    const r = runScenario(scenario(`day-${profile}`, 1, DAY, [], { profile })).result;
    console.log(`  ${profile.padEnd(6)} active wan0 ${mb(r.probeBytes.wan0)}/day (${r.probes.wan0} probes), standby lte0 ${mb(r.probeBytes.lte0)}/day (${r.probes.lte0} probes)`);
  }

  // A standby that dies is found by its next probe: at most the standby interval plus the tolerance.
  const found: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const at = 120000 + phase(seed, 11, 60000);
    const r = runScenario(scenario(`dead-standby-${seed}`, seed, at + 300000, [{ atMs: at, link: "lte0", kind: "blackhole" }]));
    const down = r.result.events.find((e) => e.type === "link-state" && e.link === "lte0" && e.to === "down" && e.atMs >= at);
    found.push(down ? down.atMs - at : NaN);
  }
  found.sort((a, b) => a - b);
  console.log(`\ndead standby (lte0 blackholed), 20 seeds: found down after median ${(found[10] / 1000).toFixed(1)} s, worst ${(found[found.length - 1] / 1000).toFixed(1)} s` +
    (found.some(Number.isNaN) ? " (some never!)" : ""));

  console.log("\nscorecard classes, this firmware, switches/hour and worst detection: no traffic | busy traffic (20 seeds max):");
  for (const c of CLASSES) {
    const n = Math.min(c.seeds, 20);
    const [none] = scoreClass({ ...c, who: "firmware" }, n);
    const [busy] = scoreClass({ ...c, who: "firmware" }, n, { profile: "busy" });
    const cell = (r: typeof none) => `${r.switchesPerHour.toFixed(2).padStart(6)}/h ${fmt(r.detection.worst).padStart(8)} downs ${String(r.downs).padStart(4)}`;
    console.log(`  ${c.id.padEnd(22)} ${cell(none)} | ${cell(busy)}`);
  }
  console.log(`\npassive bench wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
