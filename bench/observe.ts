// What an operator sees of one run, measured from the world's ground truth rather than from the
// router's own account: every move of the default route, whether the link it left still forwarded,
// whether the fault behind it had already ended or was shorter than a switch is worth, seconds the
// users had no working uplink, time off the preferred link, detection of persistent cuts, reboots.
// Works the same for the firmware and for the baseline models (both move `world.defaultRoute`).
import type { SimWorld } from "../sim/world/world";
import type { SimLink } from "../sim/world/sim-link";

/** Sampling step of the outage and off-preferred clocks. */
const STEP_MS = 100;
/** How long a dead primary may be kept before that is the router's fault (see Observation.blameBeyondMs). */
export const BLAME_GRACE_MS = 2000;
/** The fast probe interval of the firmware's defaults (see afterEndKnowable). */
const HORIZON_MS = 100;
/** A cut at least this long is an outage worth leaving for; shorter ones are nuisance faults. */
export const PERSISTENT_MS = 30000;

export interface SwitchRecord {
  atMs: number;
  from: string;
  to: string;
  /** The link left still forwarded packets at that instant. */
  whileForwarding: boolean;
  /** The cut behind it had ended before the switch began. */
  afterEnd: boolean;
  /**
   * ... and ended before the router's information horizon: longer ago than one fast probe interval
   * plus the link's base RTT, the soonest any probe could have told it.
   */
  afterEndKnowable: boolean;
  /** The cut behind it lasted less than `nuisanceMs` in all. */
  shortFault: boolean;
  /** Moving back to a better tier (not away from a fault). */
  failback: boolean;
}

export interface Observation {
  durationMs: number;
  switches: SwitchRecord[];
  outageMs: number;
  offPreferredMs: number;
  /** Time on the preferred link while it forwarded nothing and another link did (the router's to blame). */
  blameMs: number;
  /**
   * The part of that beyond the first BLAME_GRACE_MS of each such stretch: what a switch could have
   * saved. No router leaves a link sooner than it can tell it is dead, and the product's promise is
   * a second or two per dead uplink, so a 1.5 s silence is no router's fault; a 4 s one is, for 2 s.
   */
  blameBeyondMs: number;
  /** From the start of each persistent cut on the carrying link to the switch away from it. */
  detectionMs: number[];
  undetected: number;
  reboots: number;
  probeBytes: Record<string, number>;
  probes: Record<string, number>;
}

export interface Observer {
  result(): Observation;
}

export function observe(world: SimWorld, preferred: string, nuisanceMs: number): Observer {
  const switches: SwitchRecord[] = [];
  let last: string | null = null;
  let outage = 0, off = 0, blame = 0, beyond = 0, stretch = 0;
  const set = world.setDefaultRoute.bind(world);
  world.setDefaultRoute = (name: string) => {
    const now = world.clock.now();
    if (last !== null && name !== last) {
      const from = world.link(last);
      const ep = latestCut(from, now);
      const forwarding = from.forwards();
      switches.push({
        atMs: now, from: last, to: name, whileForwarding: forwarding,
        afterEnd: ep !== null && ep.endMs !== null && ep.endMs < now && forwarding,
        afterEndKnowable: ep !== null && ep.endMs !== null && ep.endMs < now - HORIZON_MS - from.spec.rttMs && forwarding,
        shortFault: false,
        failback: priorityOf(world, name) < priorityOf(world, last),
      });
    }
    last = name;
    set(name);
  };
  world.clock.after(STEP_MS, () => {
    const r = world.defaultRoute;
    if (r === null || !world.link(r).forwards()) outage += STEP_MS;
    if (r !== preferred) off += STEP_MS;
    else if (r !== null && !world.link(r).forwards() && world.links.some((l) => l.name !== r && l.forwards())) {
      blame += STEP_MS;
      stretch += STEP_MS;
      if (stretch > BLAME_GRACE_MS) beyond += STEP_MS;
      return;
    }
    stretch = 0;
  }, STEP_MS);
  return {
    result(): Observation {
      const end = world.clock.now();
      for (const s of switches) {
        if (s.failback) continue;
        const ep = latestCut(world.link(s.from), s.atMs);
        if (ep !== null) s.shortFault = (ep.endMs ?? end) - ep.startMs < nuisanceMs && ep.endMs !== null;
      }
      const { detectionMs, undetected } = detections(world, switches, end);
      const probeBytes: Record<string, number> = {}, probes: Record<string, number> = {};
      for (const l of world.links) {
        probeBytes[l.name] = l.probeBytes;
        probes[l.name] = l.probes;
      }
      return { durationMs: end, switches, outageMs: outage, offPreferredMs: off, blameMs: blame, blameBeyondMs: beyond, detectionMs, undetected,
        reboots: world.reboots.length, probeBytes, probes };
    },
  };
}

function priorityOf(world: SimWorld, link: string): number {
  return world.link(link).spec.priority;
}

type Episode = SimLink["episodes"][number];

/** The most recent cutting episode on `link` that began at or before `atMs`. */
function latestCut(link: SimLink, atMs: number): Episode | null {
  const eps = link.episodes;
  for (let i = eps.length - 1; i >= 0; i--) if (eps[i].cuts && eps[i].startMs <= atMs) return eps[i];
  return null;
}

/** Persistent cuts that began while their link carried traffic: how long until the route left it. */
function detections(world: SimWorld, switches: SwitchRecord[], end: number): { detectionMs: number[]; undetected: number } {
  const detectionMs: number[] = [];
  let undetected = 0;
  for (const l of world.links) {
    for (const ep of l.episodes) {
      if (!ep.cuts || (ep.endMs ?? end) - ep.startMs < PERSISTENT_MS) continue;
      if (routeAt(switches, ep.startMs, world) !== l.name) continue;
      const away = switches.find((s) => s.from === l.name && s.atMs >= ep.startMs);
      if (away && away.atMs <= (ep.endMs ?? end)) detectionMs.push(away.atMs - ep.startMs);
      else undetected++;
    }
  }
  return { detectionMs, undetected };
}

function routeAt(switches: SwitchRecord[], atMs: number, world: SimWorld): string | null {
  let r: string | null = null;
  for (const s of switches) {
    if (s.atMs > atMs) break;
    r = s.to;
  }
  if (r !== null) return r;
  // Before the first switch: the first route ever set (the preferred link, normally).
  const first = switches[0]?.from;
  return first ?? world.defaultRoute;
}
