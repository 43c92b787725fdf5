// Applying a scenario's faults to the world. Each kind changes the link (or broker) the way the
// real failure would look from the router, and marks the ground truth the scorer uses.
import type { SimWorld } from "../world/world";
import type { SimLink } from "../world/sim-link";
import type { Fault } from "./load-scenario";

/** Faults that cut the link entirely: the router should leave it. */
export const CUTTING: ReadonlySet<string> = new Set(["carrier-down", "blackhole", "wedge", "flap"]);

export interface FaultHooks {
  /** The link stopped passing traffic because of a fault (for detection timing). */
  cut(link: SimLink, atMs: number): void;
  /** The link's faults were cleared. */
  restored(link: SimLink): void;
}

export function scheduleFaults(world: SimWorld, faults: readonly Fault[], defaultTarget: string, hooks: FaultHooks): void {
  for (const f of faults) world.clock.at(f.atMs, () => applyFault(world, f, defaultTarget, hooks));
}

function applyFault(world: SimWorld, f: Fault, defaultTarget: string, hooks: FaultHooks): void {
  const now = world.clock.now();
  if (f.kind === "broker-down") return world.broker.setUp(false);
  if (f.kind === "broker-up") return world.broker.setUp(true);
  if (f.kind === "hang") return world.hang(f.durationMs as number);
  const link = world.link(f.link as string);
  const mark = () => { link.faulty = true; };
  switch (f.kind) {
    case "carrier-down":
      mark();
      world.mutateCarrier(link, () => { link.cableOut = true; });
      hooks.cut(link, now);
      return;
    case "carrier-up":
      world.mutateCarrier(link, () => { link.cableOut = false; });
      return;
    case "blackhole":
      mark();
      link.blackhole = true;
      hooks.cut(link, now);
      return;
    case "wedge":
      mark();
      link.wedged = true;
      hooks.cut(link, now);
      return;
    case "loss":
      mark();
      link.loss = f.rate as number;
      return;
    case "latency":
      mark();
      link.rttMs = f.rttMs as number;
      if (f.jitterMs !== undefined) link.jitterMs = f.jitterMs;
      return;
    case "dns-fail":
      mark();
      link.dnsFail = true;
      return;
    case "target-down":
      link.deadTargets.add(f.target ?? defaultTarget);
      return;
    case "stall":
      link.stall = true;
      return;
    case "flap":
      return flap(world, link, f, hooks);
    case "restore":
      world.mutateCarrier(link, () => link.restore());
      hooks.restored(link);
      return;
  }
}

/** `count` cycles of `periodMs`: down for `downMs` (default half the period), then up. */
function flap(world: SimWorld, link: SimLink, f: Fault, hooks: FaultHooks): void {
  const period = f.periodMs as number;
  const down = f.downMs ?? Math.floor(period / 2);
  const blackhole = f.mode === "blackhole";
  const set = (isDown: boolean) => {
    if (blackhole) link.blackhole = isDown;
    else world.mutateCarrier(link, () => { link.flapDown = isDown; });
  };
  const start = world.clock.now();
  link.faulty = true;
  for (let i = 0; i < (f.count as number); i++) {
    world.clock.at(start + i * period, () => { set(true); hooks.cut(link, world.clock.now()); });
    world.clock.at(start + i * period + down, () => set(false));
  }
  world.clock.at(start + (f.count as number) * period, () => { link.faulty = false; });
}
