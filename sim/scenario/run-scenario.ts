// Runs one scenario on the virtual clock and scores it per the simulator contract.
import type { Scenario } from "./load-scenario";
import { scheduleFaults } from "./faults";
import { SimWorld, type LinkReset, type LoggedEvent } from "../world/world";
import { pacedEvents } from "./paced-events";
import { topicsFor } from "../../src/telemetry/topics";
import { XsHost } from "../xs/xs-host";
import type { FirmwareView } from "../world/firmware-host";

export interface ScenarioResult {
  scenario: string;
  seed: number;
  durationMs: number;
  events: LoggedEvent[];
  failovers: number;
  failbacks: number;
  detectionMs: number[];
  undetectedFaults: number;
  falseFailovers: number;
  probeBytes: Record<string, number>;
  probes: Record<string, number>;
  heartbeats: number;
  heartbeatGapMs: number[];
  eventsLost: number;
  /** Link-state events the firmware's pacer did not publish (counted in its heartbeat's eventsPaced). */
  eventsPaced: number;
  eventsQueued: number;
  reboots: Array<{ atMs: number; reason: string }>;
  /** Every link reset the router asked for, with the time the link was down for it. */
  linkResets: LinkReset[];
  /** Probes holding a socket at once, over all links (ICMP echoes hold none). */
  maxProbesInFlight: number;
  socketBudgetViolations: number;
  /** ICMP echoes out at once on one link. */
  maxEchoesInFlight: number;
  storeWrites: number;
  finalActive: string | null;
  /** Answers to the scenario's fleet messages, as the broker received them. */
  replies: Array<{ atMs: number; reply: Record<string, unknown> }>;
  lastHeartbeat: Record<string, unknown> | null;
  state: string | null;
}

export interface RunOptions {
  /** Run the firmware in an XS worker instead of this Node process. */
  xs?: boolean;
  /** Called with the world before it boots (tests add listeners or extra faults). */
  prepare?: (world: SimWorld) => void;
  /** Called with the world at the end of the run, while the firmware still runs. */
  inspect?: (world: SimWorld) => void;
}

export function runScenario(sc: Scenario, options: RunOptions = {}): { result: ScenarioResult; world: SimWorld } {
  let now = (): number => 0;
  const host = options.xs ? new XsHost(sc.config.watchdog.tickMs, () => now()) : undefined;
  const world: SimWorld = new SimWorld({ seed: sc.seed, links: sc.links, deviceId: sc.deviceId, host, traffic: sc.traffic });
  now = () => world.clock.now();
  world.store.set("cfg0", sc.configJson);
  const scorer = new Scorer(sc, world);
  for (const m of sc.messages) {
    world.clock.at(m.atMs, () => world.broker.publish(`routers/${sc.deviceId}/${m.topic}`, m.raw ?? JSON.stringify(m.payload), m.retain ?? false));
  }
  options.prepare?.(world);
  let view: FirmwareView | null = null;
  try {
    world.boot();
    world.run(sc.durationMs);
    view = world.view();
    options.inspect?.(world);
  } finally {
    world.host.dispose();
  }
  return { result: scorer.result(view), world };
}

/**
 * Scoring a run against ground truth: which faults cut the active link and when the router left
 * it, which failovers had no fault behind them, and what reached the broker.
 */
export class Scorer {
  #open = new Map<string, number[]>();
  #detectionMs: number[] = [];
  #undetected = 0;
  #falseFailovers = 0;
  #failovers = 0;
  #failbacks = 0;

  constructor(private readonly sc: Scenario, private readonly world: SimWorld) {
    scheduleFaults(world, sc.faults, sc.config.targets[0].host, {
      cut: (link, atMs) => {
        if (world.defaultRoute !== link.name) return;
        const list = this.#open.get(link.name) ?? [];
        list.push(atMs);
        this.#open.set(link.name, list);
      },
      restored: (link) => {
        this.#undetected += this.#open.get(link.name)?.length ?? 0;
        this.#open.delete(link.name);
      },
      // An episode that ended on its own leaves the open cuts as they are (scored when the router leaves).
      ended: () => {},
    });
    world.onEvent((e) => {
      if (e.type === "failback") this.#failbacks++;
      if (e.type !== "failover") return;
      this.#failovers++;
      const from = e.from as string;
      if (!world.link(from).faulty) this.#falseFailovers++;
      for (const at of this.#open.get(from) ?? []) this.#detectionMs.push(e.atMs - at);
      this.#open.delete(from);
    });
  }

  result(view: FirmwareView | null): ScenarioResult {
    const { sc, world } = this;
    let undetected = this.#undetected;
    for (const list of this.#open.values()) undetected += list.length;
    const topics = topicsFor(sc.deviceId);
    const hbTimes: number[] = [];
    const replies: Array<{ atMs: number; reply: Record<string, unknown> }> = [];
    let lastHeartbeat: Record<string, unknown> | null = null;
    const received = new Set<string>();
    for (const a of world.broker.arrivals) {
      if (a.topic === topics.heartbeat) {
        hbTimes.push(a.atMs);
        lastHeartbeat = JSON.parse(a.payload) as Record<string, unknown>;
      } else if (a.topic === topics.reply) replies.push({ atMs: a.atMs, reply: JSON.parse(a.payload) as Record<string, unknown> });
      else if (a.topic === topics.event) received.add(a.payload);
    }
    const switches = world.events.filter((e) => e.type === "failover");
    const heartbeatGapMs = switches.map((s) => {
      const before = hbTimes.filter((t) => t <= s.atMs).pop();
      const after = hbTimes.find((t) => t > s.atMs);
      return before === undefined || after === undefined ? -1 : after - before;
    }).filter((g) => g >= 0);
    const queued = view?.queued ?? 0;
    const paced = pacedEvents(world.events).size;
    const probeBytes: Record<string, number> = {}, probes: Record<string, number> = {};
    for (const l of world.links) {
      probeBytes[l.name] = l.probeBytes;
      probes[l.name] = l.probes;
    }
    return {
      scenario: sc.name,
      seed: sc.seed,
      durationMs: sc.durationMs,
      events: world.events,
      failovers: this.#failovers,
      failbacks: this.#failbacks,
      detectionMs: this.#detectionMs,
      undetectedFaults: undetected,
      falseFailovers: this.#falseFailovers,
      probeBytes,
      probes,
      heartbeats: hbTimes.length,
      heartbeatGapMs,
      eventsLost: Math.max(0, world.events.length - received.size - queued - paced),
      eventsPaced: paced,
      eventsQueued: queued,
      reboots: world.reboots,
      linkResets: world.resets,
      maxProbesInFlight: world.maxInflight,
      socketBudgetViolations: world.budgetViolations,
      maxEchoesInFlight: world.maxEchoesInFlight,
      storeWrites: world.store.writes,
      finalActive: view?.active ?? null,
      replies,
      lastHeartbeat,
      state: world.broker.retained.get(topics.state) ?? null,
    };
  }
}
