// Simulated routers on the wall clock against a real broker: each has its own simulated links and
// virtual clock, runs the real firmware (Node host), and talks MQTT through MQTT.js. Used by
// `npm run fleet`, `npm run sim -- --broker`, `npm start` and the broker tests.
import { randomInt } from "node:crypto";
import { withLinkPriorities, type LinkSpec } from "../world/sim-link";
import { SimWorld } from "../world/world";
import { scheduleFaults } from "../scenario/faults";
import type { Fault } from "../scenario/load-scenario";
import { MqttJsSession, type BrokerEndpoint } from "./mqttjs-session";
import { runLive, type LiveRun } from "./live-clock";
import type { Identity } from "../../fleet/broker/credentials";

export interface LiveRouterSpec {
  deviceId: string;
  seed: number;
  links: LinkSpec[];
  faults?: Fault[];
  /** Device config overrides (stored as the device's config before boot). */
  config?: Record<string, unknown>;
}

export const DEFAULT_LINKS: LinkSpec[] = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2, loss: 0 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15, loss: 0.01 },
  { name: "wlan0", kind: "wifi", priority: 3, rttMs: 25, jitterMs: 8, loss: 0.02 },
];

export class LiveFleet {
  readonly worlds = new Map<string, SimWorld>();
  /** Every connection a router opened to the broker, in order (wall-clock ms). */
  readonly attempts: Array<{ deviceId: string; at: number }> = [];
  #sessions = new Set<MqttJsSession>();
  #run: LiveRun | null = null;
  /** Per router: connected at least once, or why its first attempt failed. */
  #contact = new Map<string, { connected: boolean; failed: string | null }>();
  #contactChanged: () => void = () => {};

  constructor(specs: readonly LiveRouterSpec[], brokerUrl: string, identity: (deviceId: string) => Identity | undefined,
    options: { protocolVersion?: 4 | 5 } = {}) {
    for (const s of specs) {
      const contact = { connected: false, failed: null as string | null };
      this.#contact.set(s.deviceId, contact);
      const endpoint: BrokerEndpoint = { url: brokerUrl, identity: identity(s.deviceId), protocolVersion: options.protocolVersion,
        onAttempt: () => this.attempts.push({ deviceId: s.deviceId, at: Date.now() }),
        onConnected: () => { contact.connected = true; this.#contactChanged(); },
        onFailed: (reason) => { if (!contact.connected && contact.failed === null) { contact.failed = reason; this.#contactChanged(); } } };
      const world = new SimWorld({
        seed: s.seed, links: s.links, deviceId: s.deviceId,
        // A real broker and a fleet that outlives this process: each boot gets a boot id no
        // earlier run drew (the seed repeats with every npm start).
        entropy: () => randomInt(0x10000) / 0x10000,
        mqtt: (ctx, w) => {
          const session = new MqttJsSession(ctx, w, endpoint);
          this.#sessions.add(session);
          return session;
        },
      });
      world.store.set("cfg0", JSON.stringify(withLinkPriorities(s.config ?? {}, s.links)));
      scheduleFaults(world, s.faults ?? [], "1.1.1.1", { cut: () => {}, restored: () => {} });
      this.worlds.set(s.deviceId, world);
    }
  }

  world(id: string): SimWorld {
    const w = this.worlds.get(id);
    if (!w) throw new Error("no router " + id);
    return w;
  }

  /** Boot every router and run them on the wall clock for `durationMs` (times `speed`). */
  start(durationMs: number, speed = 1): LiveRun {
    for (const w of this.worlds.values()) w.boot();
    this.#run = runLive([...this.worlds.values()].map((w) => w.clock), durationMs, speed);
    return this.#run;
  }

  /**
   * The broker answered: resolves null once any router has a session, or with the reason when every
   * router's first attempt failed (nothing listening, a TLS or login refusal), or after `timeoutMs`
   * with no answer at all. A tool that cannot reach its broker says so instead of running on.
   */
  firstContact(timeoutMs = 15000): Promise<string | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(`no session within ${timeoutMs / 1000} s`), timeoutMs);
      const done = (r: string | null) => { clearTimeout(timer); this.#contactChanged = () => {}; resolve(r); };
      this.#contactChanged = () => {
        const all = [...this.#contact.values()];
        if (all.some((c) => c.connected)) return done(null);
        if (all.every((c) => c.failed !== null)) done(all[0].failed);
      };
      this.#contactChanged();
    });
  }

  /** Pull the power: the router stops at once, its TCP session dies without a goodbye. */
  powerOff(id: string): void {
    this.world(id).powerOff();
  }

  powerOn(id: string): void {
    this.world(id).boot();
  }

  /** Stop the clocks and close every session cleanly. */
  close(): void {
    this.#run?.stop();
    for (const s of this.#sessions) s.close();
    this.#sessions.clear();
  }
}
