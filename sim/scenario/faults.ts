// Applying a scenario's faults to the world. Each kind changes the link (or broker) the way the
// real failure would look from the router, and records the ground truth the scorer uses: one
// episode per fault application and per cutting part of a process (each gap, each burst, each
// flap down period, each total-loss run of a trace), see SimLink.episodes.
import type { SimWorld } from "../world/world";
import type { Effect, Episode, SimLink } from "../world/sim-link";
import type { Rng } from "../world/random";
import type { Fault } from "./load-scenario";
import { TraceCursor } from "../world/trace-timeline";

/** Faults that cut the link entirely: the router should leave it. */
export const CUTTING: ReadonlySet<string> = new Set(["carrier-down", "blackhole", "wedge", "flap"]);

export interface FaultHooks {
  /** The link stopped passing traffic because of a fault (for detection timing); every cutting episode start. */
  cut(link: SimLink, atMs: number): void;
  /** The link's faults were cleared. */
  restored(link: SimLink): void;
  /** A cutting episode ended on its own (durationMs, the end of a gap, burst or flap down period, a reset). */
  ended?(link: SimLink, atMs: number): void;
}

export function scheduleFaults(world: SimWorld, faults: readonly Fault[], defaultTarget: string, hooks: FaultHooks): void {
  for (const l of world.links) l.listener = { cut: hooks.cut, ended: hooks.ended };
  // A fault's random stream is named by its link, kind and place among that link's faults of that
  // kind: adding a fault elsewhere never reshuffles it.
  const seen = new Map<string, number>();
  for (const f of faults) {
    const key = `${f.link ?? ""}/${f.kind}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    world.clock.at(f.atMs, () => applyFault(world, f, `${f.kind}:${n}`, defaultTarget, hooks));
  }
}

function applyFault(world: SimWorld, f: Fault, label: string, defaultTarget: string, hooks: FaultHooks): void {
  const clock = world.clock;
  const now = clock.now();
  if (f.kind === "broker-down") {
    world.broker.setUp(false);
    if (f.durationMs !== undefined) clock.after(f.durationMs, () => world.broker.setUp(true));
    return;
  }
  if (f.kind === "broker-up") return world.broker.setUp(true);
  if (f.kind === "hang") return world.hang(f.durationMs as number);
  const link = world.link(f.link as string);
  const episode = (cuts: boolean): Episode => ({ kind: f.kind, startMs: now, endMs: null, cuts });
  /** The fault's own random stream: depends on the seed, the link and the fault's place, nothing else. */
  const rng = () => link.faultRng.fork(label);
  let effect: Effect;
  switch (f.kind) {
    case "carrier-up":
      world.mutateCarrier(link, () => { for (const e of [...link.effects]) if (e.kind === "carrier-down") link.endEffect(e); });
      return;
    case "restore":
      world.mutateCarrier(link, () => link.restore());
      hooks.restored(link);
      return;
    case "carrier-down": {
      let e!: Effect;
      world.mutateCarrier(link, () => { e = link.addEffect({ kind: "carrier-down", marks: true, episode: episode(true) }); });
      effect = e;
      hooks.cut(link, now);
      break;
    }
    case "blackhole":
    case "wedge":
      effect = link.addEffect({ kind: f.kind, marks: true, episode: episode(true) });
      hooks.cut(link, now);
      break;
    case "stall":
      effect = link.addEffect({ kind: "stall", marks: false, episode: episode(false) });
      break;
    case "loss":
      effect = link.addEffect({ kind: "loss", marks: true, rate: f.rate as number, episode: episode(false) });
      break;
    case "latency":
      effect = link.addEffect({ kind: "latency", marks: true, rttMs: f.rttMs as number, jitterMs: f.jitterMs, episode: episode(false) });
      break;
    case "dns-fail":
      effect = link.addEffect({ kind: "dns-fail", marks: true, hosts: f.hosts ? new Set(f.hosts) : null, episode: episode(false) });
      break;
    case "target-down":
      effect = link.addEffect({ kind: "target-down", marks: false, host: f.target ?? defaultTarget, episode: episode(false) });
      break;
    case "icmp-limit":
      effect = link.addEffect({ kind: "icmp-limit", marks: true, rate: f.rate ?? 0, perSecond: f.perSecond ?? 0,
        extraMs: f.extraMs ?? 0, rng: rng(), tokens: Math.max(1, f.perSecond ?? 0), refilledAt: now, episode: episode(false) });
      break;
    case "bufferbloat": {
      const e = link.addEffect({ kind: "bufferbloat", marks: true, startMs: now, peakMs: f.peakMs as number,
        rampMs: f.rampMs as number, drainMs: f.drainMs ?? 1000, loadEndMs: null as number | null, episode: episode(false) });
      if (f.durationMs !== undefined) {
        // The load ends: the episode closes, the added latency drains, then the effect goes.
        clock.after(f.durationMs, () => {
          if (!link.has(e)) return;
          e.loadEndMs = clock.now();
          link.close(e.episode, clock.now());
          const left = e.peakMs > 0 ? Math.ceil(e.drainMs * Math.min(1, (e.loadEndMs - e.startMs) / Math.max(1, e.rampMs))) : 0;
          clock.after(left, () => link.endEffect(e));
        });
      }
      return;
    }
    case "burst-loss": {
      const r = rng();
      effect = link.addEffect({ kind: "burst-loss", marks: true, goodMs: f.goodMs as number, goodLoss: f.goodLoss ?? null,
        badLoss: f.badLoss ?? 1, badMs: f.badMs ?? 0, badMinMs: f.badMinMs ?? null, badMaxMs: f.badMaxMs ?? null,
        rng: r, bad: false, untilMs: now + Math.max(1, r.exp(f.goodMs as number)), burst: null, episode: episode(false) });
      break;
    }
    case "gaps":
      effect = gaps(world, link, f, rng(), episode(false));
      break;
    case "trace": {
      const spec = f.traceSpec!, options = f.traceOptions!;
      const cursor = new TraceCursor(spec, options);
      const e = link.addEffect({ kind: "trace", marks: true, startMs: now, cursor, run: null,
        directional: !spec.roundTrip || options.bufferPackets > 0, episode: episode(false) });
      effect = e;
      // After the last row the link is back to its own figures (a repeating trace runs until durationMs).
      if (!options.repeat) clock.after(spec.durationMs - options.offsetMs, () => link.endEffect(e));
      break;
    }
    case "flap":
      effect = flap(world, link, f, hooks, episode(false));
      break;
    default:
      return;
  }
  if (f.durationMs !== undefined) {
    const e = effect;
    clock.after(f.durationMs, () => {
      if (link.has(e)) world.mutateCarrier(link, () => link.endEffect(e));
    });
  }
}

/** Short total-loss gaps, carrier up: starts `everyMinMs..everyMaxMs` apart, each `gapMinMs..gapMaxMs` long. */
function gaps(world: SimWorld, link: SimLink, f: Fault, rng: Rng, ep: Episode): Effect {
  const clock = world.clock;
  const uniform = (a: number, b: number) => a + rng.next() * (b - a);
  const e = link.addEffect({ kind: "gaps", marks: true, gap: null as Episode | null, episode: ep });
  const next = (from: number) => {
    const at = Math.round(from + uniform(f.everyMinMs as number, f.everyMaxMs as number));
    const len = Math.max(1, Math.round(uniform(f.gapMinMs as number, f.gapMaxMs as number)));
    clock.at(at, () => {
      if (!link.has(e)) return;
      e.gap = { kind: "gap", startMs: at, endMs: null, cuts: true };
      link.opened(e.gap);
      clock.at(at + len, () => {
        if (!link.has(e) || !e.gap) return;
        link.close(e.gap, at + len);
        e.gap = null;
      });
      next(at);
    });
  };
  next(clock.now());
  return e;
}

/** `count` cycles of `periodMs`: down for `downMs` (default half the period), then up. */
function flap(world: SimWorld, link: SimLink, f: Fault, hooks: FaultHooks, ep: Episode): Effect {
  const period = f.periodMs as number;
  const down = f.downMs ?? Math.floor(period / 2);
  const blackhole = f.mode === "blackhole";
  const e = link.addEffect({ kind: "flap", marks: true, blackhole, down: false as boolean, downEpisode: null as Episode | null, episode: ep });
  const set = (isDown: boolean) => {
    if (!link.has(e)) return;
    const at = world.clock.now();
    world.mutateCarrier(link, () => { e.down = isDown; });
    if (isDown) {
      e.downEpisode = { kind: "flap-down", startMs: at, endMs: null, cuts: true };
      link.record(e.downEpisode);
      hooks.cut(link, at);
    } else {
      link.close(e.downEpisode, at);
      e.downEpisode = null;
    }
  };
  const start = world.clock.now();
  const count = f.count as number;
  for (let i = 0; i < count; i++) {
    world.clock.at(start + i * period, () => set(true));
    world.clock.at(start + i * period + down, () => set(false));
  }
  world.clock.at(start + count * period, () => link.endEffect(e));
  return e;
}
