// The scorecard's traces class: the shipped recordings (mahimahi's three LTE pairs, the synthetic
// Starlink day-hour) and the operator scenarios kept beside them (a jittery 10 %-loss primary then
// a blackhole, ICMP filtered or deprioritised on the primary, one probe target left), run for this firmware and the
// mwan3 and dpinger models on the same links, faults and seeds, idle and with users' traffic.
// Per trace: switches per hour, share of time off the primary, blame (seconds on a primary that
// did not forward while the backup did) and outages of 5 s or more on the primary caught or missed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../fleet/paths";
import { performance } from "node:perf_hooks";
import { parseScenario, type Scenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { runModel, type TrackerModel } from "./models/model";
import { mwan3 } from "./models/mwan3";
import { dpinger } from "./models/dpinger";
import { observe, type Observation, type Observer } from "./observe";
import { Rng } from "../sim/world/random";
import type { LoggedEvent, SimWorld } from "../sim/world/world";
import type { Episode } from "../sim/world/sim-link";
import type { TrafficSpec } from "../sim/world/sim-traffic";

/** The shipped scenarios. */
export const SCENARIO_DIR = join(REPO_ROOT, "sim/scenarios/");

/** An outage worth leaving for: the line. */
export const OUTAGE_MS = 5000;
const MIN = 60000;

export interface TraceRun {
  id: string;
  title: string;
  /** Seeds the scorecard runs (the test runs the first). */
  seeds: number;
  make(seed: number, traffic?: TrafficSpec): Scenario;
}

/** A seed-chosen number in [lo, hi). */
const pick = (seed: number, salt: number, lo: number, hi: number) => lo + Math.floor(new Rng(seed * 7919 + salt).next() * (hi - lo));

function fromFile(name: string, seed: number, traffic: TrafficSpec | undefined, patch: (raw: Record<string, unknown> & { faults: Array<Record<string, unknown>> }) => void): Scenario {
  const raw = JSON.parse(readFileSync(SCENARIO_DIR + name + ".json", "utf8"));
  raw.seed = seed;
  if (traffic) raw.traffic = traffic;
  patch(raw);
  return parseScenario(JSON.stringify(raw), `${name}-s${seed}`, SCENARIO_DIR);
}

/** A mahimahi recording looped for 20 minutes from a seed-chosen point (mm-link loops its traces too). */
const looped = (name: string) => (seed: number, traffic?: TrafficSpec) => fromFile(name, seed, traffic, (raw) => {
  raw.durationMs = 21 * MIN;
  Object.assign(raw.faults[0], { repeat: true, offsetMs: pick(seed, 19, 0, 100000), durationMs: 20 * MIN });
});

export const TRACE_RUNS: TraceRun[] = [
  { id: "att-lte-driving", title: "mahimahi AT&T LTE driving 2016 (measured), looped 20 min", seeds: 5, make: looped("mahimahi-att-lte-driving") },
  { id: "tmobile-lte", title: "mahimahi T-Mobile LTE (measured), looped 20 min", seeds: 5, make: looped("mahimahi-tmobile-lte") },
  { id: "verizon-lte", title: "mahimahi Verizon LTE (measured), looped 20 min", seeds: 5, make: looped("mahimahi-verizon-lte") },
  { id: "starlink-synthetic", title: "Starlink per-second trace (synthetic), 1 h", seeds: 3,
    make: (seed, traffic) => fromFile("starlink-trace", seed, traffic, () => {}) },
  { id: "lossy-jittery-blackhole", title: "10 % loss + 200 ms jitter 10 min, then a 2 min blackhole (synthetic)", seeds: 5,
    make: (seed, traffic) => fromFile("lossy-jittery-blackhole", seed, traffic, (raw) => { raw.faults[0].atMs = 60000 + pick(seed, 23, 0, 10000); }) },
  { id: "icmp-filtered-primary", title: "ICMP filtered on the primary for 1 h (TCP, DNS work)", seeds: 2,
    make: (seed, traffic) => fromFile("icmp-filtered-primary", seed, traffic, () => {}) },
  { id: "one-target-left", title: "one probe target left on the primary for 1 h", seeds: 2,
    make: (seed, traffic) => fromFile("one-target-left", seed, traffic, () => {}) },
  { id: "icmp-deprioritised", title: "ICMP on the primary 30 % dropped, 1 reply/s, +150 ms for 1 h (TCP, DNS work)", seeds: 2,
    make: (seed, traffic) => fromFile("icmp-deprioritised", seed, traffic, () => {}) },
];

export interface TraceScore {
  obs: Observation;
  /** Outages of OUTAGE_MS or more that began on the primary while it carried traffic. */
  caught: number;
  missed: number;
  events: LoggedEvent[];
}

export type Runner = "firmware" | "firmware-xs" | TrackerModel;

const preferredOf = (s: Scenario) => [...s.links].sort((a, b) => a.priority - b.priority)[0].name;

/** One trace, one seed, one router: what the operator sees. */
export function runTrace(t: TraceRun, seed: number, who: Runner, traffic?: TrafficSpec): TraceScore {
  const s = t.make(seed, traffic);
  const primary = preferredOf(s);
  let o: Observer | null = null;
  let world: SimWorld | null = null;
  const prepare = (w: SimWorld) => { world = w; o = observe(w, primary, 3000); };
  let events: LoggedEvent[] = [];
  if (who === "firmware" || who === "firmware-xs") events = runScenario(s, { xs: who === "firmware-xs", prepare }).result.events;
  else runModel(s, who, prepare);
  const obs = (o as unknown as Observer).result();
  const w = world as unknown as SimWorld;
  const { caught, missed } = outagesOn(w.link(primary).episodes, obs, primary, w.clock.now());
  return { obs, caught, missed, events };
}

/** Cutting episodes merged into spans; those of OUTAGE_MS or more that began with the route on `primary`. */
function outagesOn(episodes: Episode[], obs: Observation, primary: string, end: number): { caught: number; missed: number } {
  const cuts = episodes.filter((e) => e.cuts).map((e) => [e.startMs, e.endMs ?? end] as [number, number]).sort((a, b) => a[0] - b[0]);
  const spans: Array<[number, number]> = [];
  for (const c of cuts) {
    const last = spans[spans.length - 1];
    if (last && c[0] <= last[1]) last[1] = Math.max(last[1], c[1]);
    else spans.push([c[0], c[1]]);
  }
  let caught = 0, missed = 0;
  for (const [a, b] of spans) {
    if (b - a < OUTAGE_MS || routeAt(obs, primary, a) !== primary) continue;
    if (obs.switches.some((s) => s.from === primary && s.atMs >= a && s.atMs < b)) caught++;
    else missed++;
  }
  return { caught, missed };
}

function routeAt(obs: Observation, primary: string, at: number): string {
  let r = primary;
  for (const s of obs.switches) {
    if (s.atMs > at) break;
    r = s.to;
  }
  return r;
}

interface Row { who: string; switchesPerHour: number; offPct: number; blameS: number; blameSPerHour: number; beyondSPerHour: number; caught: number; missed: number; hours: number }

function summarize(who: string, scores: TraceScore[]): Row {
  let ms = 0, switches = 0, off = 0, blame = 0, beyond = 0, caught = 0, missed = 0;
  for (const s of scores) {
    ms += s.obs.durationMs;
    switches += s.obs.switches.length;
    off += s.obs.offPreferredMs;
    blame += s.obs.blameMs;
    beyond += s.obs.blameBeyondMs;
    caught += s.caught;
    missed += s.missed;
  }
  const hours = ms / 3600000;
  return { who, switchesPerHour: switches / hours, offPct: (100 * off) / ms, blameS: blame / 1000 / scores.length,
    blameSPerHour: blame / 1000 / hours, beyondSPerHour: beyond / 1000 / hours, caught, missed, hours };
}

const WHO: Array<[string, Runner]> = [["this firmware", "firmware"], [mwan3.name, mwan3], [dpinger.name, dpinger]];

/** The traces class as a table; `traffic` is the users' profile of the second half (default busy). */
export function printTraces(seedCap?: number, traffic: TrafficSpec = { profile: "busy" }): void {
  const t0 = performance.now();
  console.log(`\n[traces] the shipped recordings and the operator scenarios beside them; idle, then users' traffic ${traffic.profile}`);
  console.log("  target: no outage >= 5 s ridden out on the primary; blame <= 10 s per hour (5 s for a shorter trace); ICMP filtered or deprioritised and one target left: 0 switches");
  console.log("  blame = seconds on the primary while it forwarded nothing and the backup did (per run, and per hour); >2s: only what each such");
  console.log("  stretch lasted beyond its first 2 s (what a switch could have saved); outages >= 5 s on the primary: caught/missed");
  const head = ["", "users", "switch/h", "off prim", "blame s/run", "blame s/h", ">2s s/h", "out>=5s c/m"];
  const w = [28, 6, 9, 9, 12, 10, 8, 12];
  for (const t of TRACE_RUNS) {
    const seeds = Math.min(t.seeds, seedCap ?? t.seeds);
    const ts = performance.now();
    const lines: string[] = [];
    for (const tr of [undefined, traffic]) {
      for (const [name, who] of WHO) {
        const scores: TraceScore[] = [];
        for (let seed = 1; seed <= seeds; seed++) scores.push(runTrace(t, seed, who, tr));
        const r = summarize(name, scores);
        const cells = [r.who, tr ? tr.profile : "idle", r.switchesPerHour.toFixed(2), r.offPct.toFixed(1) + " %",
          r.blameS.toFixed(1), r.blameSPerHour.toFixed(1), r.beyondSPerHour.toFixed(1), `${r.caught}/${r.missed}`];
        lines.push("  " + cells.map((x, i) => i === 0 ? x.padEnd(w[i]) : x.padStart(w[i])).join(" "));
      }
    }
    console.log(`\n  ${t.id}: ${t.title}; ${seeds} seeds (wall ${((performance.now() - ts) / 1000).toFixed(1)} s)`);
    console.log("  " + head.map((h, i) => i === 0 ? h.padEnd(w[i]) : h.padStart(w[i])).join(" "));
    for (const l of lines) console.log(l);
  }
  console.log(`\ntraces class wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
