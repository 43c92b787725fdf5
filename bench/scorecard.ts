// The operator scorecard (npm run bench -- --realistic): every scenario class of classes.ts over
// its seeds, for this firmware and, in the same run on the same links, faults and seeds, for the
// mwan3 and dpinger models. Per class: switches per hour (and the unwanted ones among them),
// share of time off the preferred link, seconds without a working uplink, detection of persistent
// cuts, reboots, and probe bytes per day per link.
import { performance } from "node:perf_hooks";
import { runScenario } from "../sim/scenario/run-scenario";
import type { Scenario } from "../sim/scenario/load-scenario";
import { runModel } from "./models/model";
import { mwan3 } from "./models/mwan3";
import { dpinger } from "./models/dpinger";
import { observe, type Observation, type Observer } from "./observe";
import { CLASSES, type ScenarioClass } from "./classes";
import { printTraces } from "./traces-class";
import type { LoggedEvent, SimWorld } from "../sim/world/world";
import type { TrafficSpec } from "../sim/world/sim-traffic";

export interface FirmwareRun {
  obs: Observation;
  events: LoggedEvent[];
}

const preferredOf = (s: Scenario) => [...s.links].sort((a, b) => a.priority - b.priority)[0].name;

/** Runs one class and seed with `run`, which hands the world to `prepare` before it boots. */
function observed<T>(c: ScenarioClass, seed: number, run: (s: Scenario, prepare: (w: SimWorld) => void) => T, traffic?: TrafficSpec): { obs: Observation; out: T } {
  const s = c.make(seed);
  if (traffic) s.traffic = traffic;
  let o: Observer | null = null;
  const out = run(s, (w) => { o = observe(w, preferredOf(s), c.nuisanceMs); });
  return { obs: (o as unknown as Observer).result(), out };
}

/** One class, one seed, the firmware: what the operator sees plus the router's own log. */
export function runFirmware(c: ScenarioClass, seed: number, xs = false, traffic?: TrafficSpec): FirmwareRun {
  const { obs, out } = observed(c, seed, (s, prepare) => runScenario(s, { xs, prepare }), traffic);
  return { obs, events: out.result.events };
}

function runBaseline(c: ScenarioClass, seed: number, model: typeof mwan3, traffic?: TrafficSpec): Observation {
  return observed(c, seed, (s, prepare) => runModel(s, model, prepare), traffic).obs;
}

interface Row {
  who: string;
  switchesPerHour: number;
  unwanted: { afterEnd: number; afterEndKnowable: number; whileForwarding: number; shortFault: number };
  offPreferredPct: number;
  outageSPerHour: number;
  detection: { median: number; worst: number; n: number; undetected: number };
  reboots: number;
  downs: number;
  probeBytesPerDay: Record<string, number>;
}

function summarize(who: string, runs: Array<{ obs: Observation; events?: LoggedEvent[] }>): Row {
  let hours = 0, switches = 0, afterEnd = 0, knowable = 0, fwd = 0, short = 0, off = 0, outage = 0, dur = 0, reboots = 0, downs = 0, undetected = 0;
  const det: number[] = [];
  const bytes: Record<string, number> = {};
  for (const { obs, events } of runs) {
    hours += obs.durationMs / 3600000;
    dur += obs.durationMs;
    switches += obs.switches.length;
    for (const s of obs.switches) {
      if (s.failback) continue;
      if (s.afterEnd) afterEnd++;
      if (s.afterEndKnowable) knowable++;
      if (s.whileForwarding) fwd++;
      if (s.shortFault) short++;
    }
    off += obs.offPreferredMs;
    outage += obs.outageMs;
    det.push(...obs.detectionMs);
    undetected += obs.undetected;
    reboots += obs.reboots;
    for (const [l, b] of Object.entries(obs.probeBytes)) bytes[l] = (bytes[l] ?? 0) + b * 86400000 / obs.durationMs / runs.length;
    if (events) downs += events.filter((e) => e.type === "link-state" && e.to === "down" && e.link === "wan0").length;
  }
  det.sort((a, b) => a - b);
  return {
    who, switchesPerHour: switches / hours, unwanted: { afterEnd, afterEndKnowable: knowable, whileForwarding: fwd, shortFault: short },
    offPreferredPct: (100 * off) / dur, outageSPerHour: outage / 1000 / hours,
    detection: { median: det.length ? det[Math.floor(det.length / 2)] : NaN, worst: det.length ? det[det.length - 1] : NaN, n: det.length, undetected },
    reboots, downs: runs[0]?.events ? downs : -1,
    probeBytesPerDay: Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, Math.round(v)])),
  };
}

const ms = (x: number) => Number.isNaN(x) ? "-" : x >= 10000 ? (x / 1000).toFixed(1) + " s" : Math.round(x) + " ms";
const kb = (b: number) => (b / 1e6).toFixed(2);

export function scoreClass(c: ScenarioClass, seeds = c.seeds, traffic?: TrafficSpec): Row[] {
  const fw: FirmwareRun[] = [];
  for (let seed = 1; seed <= seeds; seed++) fw.push(runFirmware(c, seed, false, traffic));
  const rows = [summarize("this firmware", fw)];
  if (c.who === "all") {
    for (const m of [mwan3, dpinger]) {
      const runs: Array<{ obs: Observation }> = [];
      for (let seed = 1; seed <= seeds; seed++) runs.push({ obs: runBaseline(c, seed, m, traffic) });
      rows.push(summarize(m.name, runs));
    }
  }
  return rows;
}

export function printScorecard(filter?: string, seedCap?: number, traffic?: TrafficSpec): void {
  const t0 = performance.now();
  console.log("operator scorecard: primary wan0 + clean backup lte0 unless the class says otherwise; virtual time; " +
    `users' traffic: ${traffic ? traffic.profile + (traffic.rxPps ? ` ${traffic.rxPps} pkt/s` : "") : "none"}`);
  console.log("unwanted switches: E(E') = begun after the cut had ended (E': by more than 100 ms + the link's RTT, the soonest a probe could tell), F = while the link left still forwarded, S = for a cut shorter than the nuisance limit (3 s; 3.5 s for the 1.5-3 s gaps)");
  const head = ["", "switch/h", "E(E')/F/S", "off pref", "outage s/h", "detect med", "worst", "undet", "reboots", "wan0 down", "probe MB/day wan0/lte0"];
  const w = [28, 9, 13, 9, 11, 11, 9, 6, 8, 10, 22];
  for (const c of CLASSES) {
    if (filter && !c.id.includes(filter)) continue;
    const seeds = Math.min(c.seeds, seedCap ?? c.seeds);
    const t = performance.now();
    const rows = scoreClass(c, seeds, traffic);
    console.log(`\n[${c.id}] ${c.title}; ${seeds} seeds (wall ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    console.log(`  target: ${c.target}`);
    console.log("  " + head.map((h, i) => i === 0 ? h.padEnd(w[i]) : h.padStart(w[i])).join(" "));
    for (const r of rows) {
      const cells = [r.who, r.switchesPerHour.toFixed(2), `${r.unwanted.afterEnd}(${r.unwanted.afterEndKnowable})/${r.unwanted.whileForwarding}/${r.unwanted.shortFault}`,
        r.offPreferredPct.toFixed(1) + " %", r.outageSPerHour.toFixed(1), ms(r.detection.median), ms(r.detection.worst),
        String(r.detection.undetected), String(r.reboots), r.downs < 0 ? "-" : String(r.downs),
        `${kb(r.probeBytesPerDay.wan0 ?? 0)} / ${kb(r.probeBytesPerDay.lte0 ?? 0)}`];
      console.log("  " + cells.map((x, i) => i === 0 ? x.padEnd(w[i]) : x.padStart(w[i])).join(" "));
    }
  }
  if (!filter || "traces".includes(filter)) printTraces(seedCap, traffic);
  console.log(`\nscorecard wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
