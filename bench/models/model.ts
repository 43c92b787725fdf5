// Running a baseline tracker (a model of another router's documented defaults) on the same
// simulated links, faults and seeds as the firmware, scored the same way.
import type { ProbeResult, ProbeTarget, Prober } from "../../src/ports";
import type { Scenario } from "../../sim/scenario/load-scenario";
import { scheduleFaults } from "../../sim/scenario/faults";
import { BootContext } from "../../sim/world/boot-context";
import { proberFor } from "../../sim/world/sim-ports";
import { SimWorld } from "../../sim/world/world";
import type { VirtualClock } from "../../sim/world/virtual-clock";

export interface TrackerEnv {
  clock: VirtualClock;
  link: string;
  probe(target: ProbeTarget, timeoutMs: number, done: (r: ProbeResult) => void): void;
  /** The tracker's verdict on its link changed. */
  verdict(up: boolean): void;
}

export interface TrackerModel {
  name: string;
  start(env: TrackerEnv): void;
}

export interface ModelResult {
  failovers: number;
  falseFailovers: number;
  detectionMs: number[];
  probeBytes: Record<string, number>;
}

/** A policy as simple as theirs: the best-priority link whose tracker says up carries traffic. */
export function runModel(sc: Scenario, model: TrackerModel, prepare?: (world: SimWorld) => void): ModelResult {
  const world = new SimWorld({ seed: sc.seed, links: sc.links, deviceId: sc.deviceId, traffic: sc.traffic });
  prepare?.(world);
  const ctx = new BootContext(world.clock, 1);
  const prober: Prober = proberFor(ctx, world);
  const up = new Map(sc.links.map((l) => [l.name, true]));
  const byPriority = [...sc.links].sort((a, b) => a.priority - b.priority).map((l) => l.name);
  let active = byPriority[0];
  world.setDefaultRoute(active);
  const open = new Map<string, number[]>();
  const r: ModelResult = { failovers: 0, falseFailovers: 0, detectionMs: [], probeBytes: {} };
  const choose = () => {
    const next = byPriority.find((n) => up.get(n)) ?? active;
    if (next === active) return;
    const from = active;
    active = next;
    world.setDefaultRoute(next);
    if (up.get(from)) return; // a failback
    r.failovers++;
    if (!world.link(from).faulty) r.falseFailovers++;
    for (const at of open.get(from) ?? []) r.detectionMs.push(world.clock.now() - at);
    open.delete(from);
  };
  scheduleFaults(world, sc.faults, "8.8.8.8", {
    cut: (link, at) => { if (world.defaultRoute === link.name) open.set(link.name, [...(open.get(link.name) ?? []), at]); },
    restored: (link) => open.delete(link.name),
    ended: () => {},
  });
  for (const l of sc.links) {
    model.start({
      clock: world.clock,
      link: l.name,
      probe: (t, timeoutMs, done) => prober.probe(l.name, t, timeoutMs, done),
      verdict: (isUp) => { up.set(l.name, isUp); choose(); },
    });
  }
  world.run(sc.durationMs);
  for (const l of world.links) r.probeBytes[l.name] = l.probeBytes;
  return r;
}
