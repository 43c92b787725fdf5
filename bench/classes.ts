// The operator scorecard's scenario classes: what real uplinks do, each as a scenario generator
// over seeds (fault phases, rates and lengths drawn from the seed), with the target the issue sets.
// The scorecard (scorecard.ts) runs them for the firmware and the baseline models; the tests run
// one or a few seeds of each and assert the behaviour.
import { parseScenario, type Scenario } from "../sim/scenario/load-scenario";
import { Rng } from "../sim/world/random";

export type Who = "all" | "firmware";

export interface ScenarioClass {
  id: string;
  title: string;
  target: string;
  /** Seeds the scorecard runs (tests take the first few). */
  seeds: number;
  /** A switch for a cut shorter than this is a nuisance switch. */
  nuisanceMs: number;
  who: Who;
  make(seed: number): Scenario;
}

const H = 3600000, MIN = 60000;

const ETH = { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2, loss: 0 };
const LTE_PRIMARY = { name: "wan0", kind: "lte", priority: 1, rttMs: 45, jitterMs: 10, loss: 0 };
const BACKUP = { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 10, loss: 0 };

function sc(name: string, seed: number, durationMs: number, links: object[], faults: object[], config?: object): Scenario {
  return parseScenario(JSON.stringify({ name, seed, durationMs, links, faults, ...(config ? { config } : {}) }), name);
}

/** A seed-chosen number in [lo, hi). */
function pick(seed: number, salt: number, lo: number, hi: number): number {
  return lo + Math.floor(new Rng(seed * 7919 + salt).next() * (hi - lo));
}

const gapsFor = (primary: object, seed: number, min: number, max: number, durationMs = H) =>
  sc(`gaps-${min}-${max}-s${seed}`, seed, durationMs + MIN, [primary, BACKUP], [
    { atMs: pick(seed, 1, 30000, 60000), link: "wan0", kind: "gaps", everyMinMs: 30000, everyMaxMs: 120000,
      gapMinMs: min, gapMaxMs: max, durationMs },
  ]);

export const CLASSES: ScenarioClass[] = [
  {
    id: "blackhole", title: "persistent blackhole, Ethernet 12 ms, no gap history",
    target: "switch <= 2.0 s worst; baseline <= 1 probe/s/link", seeds: 100, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`blackhole-s${seed}`, seed, 200000, [ETH, BACKUP],
      [{ atMs: 60000 + pick(seed, 2, 0, 10000), link: "wan0", kind: "blackhole" }]),
  },
  {
    id: "blackhole-grown", title: "persistent blackhole on an LTE primary after 20 min of 1-2 s gaps",
    target: "switch <= 3.5 s worst", seeds: 30, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`blackhole-grown-s${seed}`, seed, 20 * MIN + 200000, [LTE_PRIMARY, BACKUP], [
      { atMs: 30000, link: "wan0", kind: "gaps", everyMinMs: 30000, everyMaxMs: 90000, gapMinMs: 1000, gapMaxMs: 2000, durationMs: 19 * MIN },
      { atMs: 20 * MIN + 30000 + pick(seed, 3, 0, 10000), link: "wan0", kind: "blackhole" },
    ]),
  },
  {
    id: "geo-clean", title: "GEO satellite primary 600 ms +-80 ms, clean, 6 h",
    target: "0 switches", seeds: 3, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`geo-clean-s${seed}`, seed, 6 * H, [{ ...ETH, kind: "wifi", rttMs: 600, jitterMs: 80 }, BACKUP], []),
  },
  {
    id: "geo-blackhole", title: "GEO satellite primary 600 ms +-80 ms, blackhole",
    target: "switch <= 3 x RTT + 2 s = 3.8 s worst", seeds: 50, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`geo-blackhole-s${seed}`, seed, 240000, [{ ...ETH, kind: "wifi", rttMs: 600, jitterMs: 80 }, BACKUP],
      [{ atMs: 90000 + pick(seed, 4, 0, 10000), link: "wan0", kind: "blackhole" }]),
  },
  {
    id: "gaps-short", title: "gaps 0.1-0.5 s every 30-120 s, 1 h, Ethernet primary",
    target: "0 switches", seeds: 20, nuisanceMs: 3000, who: "all",
    make: (seed) => gapsFor(ETH, seed, 100, 500),
  },
  {
    id: "gaps-short-lte", title: "gaps 0.1-0.5 s every 30-120 s, 1 h, LTE primary",
    target: "0 switches", seeds: 20, nuisanceMs: 3000, who: "all",
    make: (seed) => gapsFor(LTE_PRIMARY, seed, 100, 500),
  },
  {
    id: "gaps-1s", title: "1 s gaps every 30-120 s, 1 h, LTE primary",
    target: "<= 2 switches/hour", seeds: 20, nuisanceMs: 3000, who: "all",
    make: (seed) => gapsFor(LTE_PRIMARY, seed, 900, 1100),
  },
  {
    id: "gaps-3s", title: "1.5-3 s gaps every 30-120 s, 1 h, LTE primary",
    target: "<= 4 switches/hour; no failover begun after its gap ended", seeds: 20, nuisanceMs: 3500, who: "all",
    make: (seed) => gapsFor(LTE_PRIMARY, seed, 1500, 3000),
  },
  {
    id: "burst", title: "burst loss 0.2-0.8 s, 1-8 bursts/minute, 1 h",
    target: "<= 2 switches/hour", seeds: 20, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`burst-s${seed}`, seed, H + MIN, [ETH, BACKUP], [
      { atMs: 30000, link: "wan0", kind: "burst-loss", goodMs: pick(seed, 5, 7500, 60000), badMinMs: 200, badMaxMs: 800, durationMs: H },
    ]),
  },
  {
    id: "rtt-step", title: "RTT steps to 0.1-3 s lasting 5-30 s, every 5 min, 1 h",
    target: "never down; 0 switches", seeds: 20, nuisanceMs: 3000, who: "all",
    make: (seed) => {
      const faults: object[] = [];
      for (let i = 0; i < 12; i++) {
        faults.push({ atMs: 60000 + i * 5 * MIN + pick(seed, 10 + i, 0, 60000), link: "wan0", kind: "latency",
          rttMs: pick(seed, 30 + i, 100, 3000), jitterMs: 10, durationMs: pick(seed, 50 + i, 5000, 30000) });
      }
      return sc(`rtt-step-s${seed}`, seed, H + 2 * MIN, [ETH, BACKUP], faults);
    },
  },
  {
    id: "bufferbloat", title: "uploads: RTT rises to 0.8-2.5 s over 2-10 s, lasts 10-60 s, every 5 min, 1 h",
    target: "never down; 0 switches", seeds: 20, nuisanceMs: 3000, who: "all",
    make: (seed) => {
      const faults: object[] = [];
      for (let i = 0; i < 12; i++) {
        faults.push({ atMs: 60000 + i * 5 * MIN + pick(seed, 70 + i, 0, 60000), link: "wan0", kind: "bufferbloat",
          peakMs: pick(seed, 90 + i, 800, 2500), rampMs: pick(seed, 110 + i, 2000, 10000), drainMs: 1000,
          durationMs: pick(seed, 130 + i, 10000, 60000) });
      }
      return sc(`bufferbloat-s${seed}`, seed, H + 2 * MIN, [ETH, BACKUP], faults);
    },
  },
  {
    id: "route-change", title: "route change: +100 ms for 3 h (Ethernet 15 -> 115 ms)",
    target: "never down; 0 switches", seeds: 5, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`route-change-s${seed}`, seed, 3 * H + 2 * MIN, [{ ...ETH, rttMs: 15 }, BACKUP],
      [{ atMs: 60000 + pick(seed, 6, 0, 10000), link: "wan0", kind: "latency", rttMs: 115, jitterMs: 2, durationMs: 3 * H }]),
  },
  {
    id: "rtt-sustained", title: "congestion: RTT rises to 2.5 s over 10 s and stays 10 min",
    target: "degraded (not down); fails over per onDegraded", seeds: 5, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`rtt-sustained-s${seed}`, seed, 15 * MIN, [ETH, BACKUP],
      [{ atMs: 60000 + pick(seed, 7, 0, 10000), link: "wan0", kind: "bufferbloat", peakMs: 2500, rampMs: 10000, drainMs: 2000, durationMs: 10 * MIN }]),
  },
  {
    id: "lossy-day", title: "10 % random loss + 200 ms jitter, 24 h",
    target: "0 switches", seeds: 3, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`lossy-day-s${seed}`, seed, 24 * H, [{ ...ETH, jitterMs: 200, loss: 0.1 }, BACKUP], []),
  },
  {
    id: "lossy-day-dead-target", title: "10 % loss + 200 ms jitter + one dead probe target, 24 h",
    target: "0 switches", seeds: 3, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`lossy-dead-s${seed}`, seed, 24 * H, [{ ...ETH, jitterMs: 200, loss: 0.1 }, BACKUP],
      [{ atMs: 1000, link: "wan0", kind: "target-down", target: "1.1.1.1" }]),
  },
  {
    id: "loss-ramp", title: "loss ramps 5 % -> 70 % over 20 min and back over 20 min",
    target: "one failover, one failback", seeds: 5, nuisanceMs: 3000, who: "all",
    make: (seed) => {
      const faults: object[] = [];
      const steps = [5, 10, 20, 30, 40, 50, 60, 70, 60, 50, 40, 30, 20, 10, 5];
      steps.forEach((pct, i) => faults.push({ atMs: 60000 + i * 150000, link: "wan0", kind: "loss", rate: pct / 100 }));
      faults.push({ atMs: 60000 + steps.length * 150000, link: "wan0", kind: "loss", rate: 0 });
      return sc(`loss-ramp-s${seed}`, seed, 60000 + steps.length * 150000 + 10 * MIN, [ETH, BACKUP], faults);
    },
  },
  {
    id: "isp-outage", title: "ISP outage on every uplink, 20 min to 6 h",
    target: "0 reboots, no safe mode, config kept, back on the primary within 2 s + hold-down", seeds: 5, nuisanceMs: 3000, who: "all",
    make: (seed) => {
      const len = [20 * MIN, 45 * MIN, 2 * H, 4 * H, 6 * H][(seed - 1) % 5];
      return sc(`isp-outage-s${seed}`, seed, len + 10 * MIN, [ETH, BACKUP], [
        { atMs: 60000, link: "wan0", kind: "blackhole", durationMs: len },
        { atMs: 60000, link: "lte0", kind: "blackhole", durationMs: len },
      ]);
    },
  },
  {
    id: "dns-blocked-primary", title: "public resolvers blocked on the primary only, 6 h",
    target: "<= 2 switches/hour", seeds: 3, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`dns-primary-s${seed}`, seed, 6 * H + 2 * MIN, [ETH, BACKUP],
      [{ atMs: 60000, link: "wan0", kind: "dns-fail", durationMs: 6 * H }]),
  },
  {
    id: "dns-blocked-all", title: "DNS broken on every link, 1 h",
    target: "0 switches", seeds: 3, nuisanceMs: 3000, who: "all",
    make: (seed) => sc(`dns-all-s${seed}`, seed, H + 2 * MIN, [ETH, BACKUP], [
      { atMs: 60000, link: "wan0", kind: "dns-fail", durationMs: H },
      { atMs: 60000, link: "lte0", kind: "dns-fail", durationMs: H },
    ]),
  },
  {
    id: "wedged-standby", title: "standby modem wedged, then the primary fails",
    target: "reset within 5 min of being found dead; backup ready when needed", seeds: 5, nuisanceMs: 3000, who: "firmware",
    make: (seed) => sc(`wedged-standby-s${seed}`, seed, 15 * MIN, [ETH, BACKUP], [
      { atMs: 60000 + pick(seed, 8, 0, 30000), link: "lte0", kind: "wedge" },
      { atMs: 10 * MIN, link: "wan0", kind: "blackhole" },
    ]),
  },
  {
    id: "boot", title: "boot with every link healthy (backup answers first)",
    target: "first choice the preferred link; no switch in the first minute", seeds: 20, nuisanceMs: 3000, who: "firmware",
    make: (seed) => sc(`boot-s${seed}`, seed, 2 * MIN, [{ ...ETH, rttMs: 40 + pick(seed, 9, 0, 200) }, { ...BACKUP, rttMs: 8 }], []),
  },
];

export function classById(id: string): ScenarioClass {
  const c = CLASSES.find((x) => x.id === id);
  if (!c) throw new Error(`no scenario class '${id}'`);
  return c;
}
