// A fleet of simulated routers for the live tools: three uplinks each and, with chaos, a primary
// that goes dark for 20..60 s at a random time (seeded).
import { DEFAULT_LINKS, type LiveRouterSpec } from "../sim/live/fleet";
import { Rng } from "../sim/world/random";

export function fleetSpecs(n: number, seed: number, chaos: boolean, durationMs: number, names?: string[]): LiveRouterSpec[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const deviceId = names?.[i] ?? `router-${String(i).padStart(4, "0")}`;
    const at = 20000 + Math.floor(rng.next() * Math.max(1, durationMs - 80000));
    return {
      deviceId, seed: seed * 100003 + i, links: DEFAULT_LINKS,
      faults: chaos && at + 60000 < durationMs
        ? [{ atMs: at, link: "wan0", kind: "blackhole" as const }, { atMs: at + 20000 + Math.floor(rng.next() * 40000), link: "wan0", kind: "restore" as const }]
        : [],
    };
  });
}

