// Shared by the broker tests: a broker with a fleet's credentials, a fleet-side MQTT client, and
// bounded waiting.
import type { MqttClient } from "mqtt";
import { connect } from "../fleet/broker/connect";
import { startBroker, type Broker, type BrokerOptions } from "../fleet/broker/broker";
import { makeCredentials, type FleetCredentials, type Identity } from "../fleet/broker/credentials";
import { sleep } from "./sleep";

export { connect };

export interface TestBroker { broker: Broker; creds: FleetCredentials }

/** A broker for these devices: Mosquitto when installed (TEST_BROKER=embedded asks for aedes). */
export async function brokerFor(deviceIds: readonly string[], o: BrokerOptions = {}): Promise<TestBroker> {
  const creds = makeCredentials(deviceIds);
  return { broker: await startBroker(creds, process.env.TEST_BROKER === "embedded" ? "embedded" : "mosquitto", o), creds };
}


/** Poll `cond` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

export interface EventRecord { deviceId: string; epoch: number; seq: number; type: string; at: number }

/** What a fleet consumer keeps: events per device (as they arrived), retained state history. */
export class FleetWatcher {
  events: EventRecord[] = [];
  states = new Map<string, Array<{ online: boolean; active?: string | null; at: number }>>();
  births: Array<{ deviceId: string; at: number }> = [];
  replies: Array<{ deviceId: string; reply: Record<string, unknown> }> = [];
  heartbeats = new Map<string, number>();
  /** Each router's last heartbeat: its boot and uptime (what a command is dated by), and when it came. */
  clocks = new Map<string, { epoch: number; bootId?: string; uptimeMs: number; at: number }>();
  /** Every message as it came, for checks that need the raw text. */
  raw: Array<{ topic: string; payload: string }> = [];

  constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload) => {
      const [, id, kind] = topic.split("/");
      const text = payload.toString();
      const at = Date.now();
      this.raw.push({ topic, payload: text });
      if (text.includes("forged")) return;
      if (kind === "event") {
        const e = JSON.parse(text) as { epoch: number; seq: number; type: string };
        this.events.push({ deviceId: id, epoch: e.epoch, seq: e.seq, type: e.type, at });
      } else if (kind === "state") {
        const list = this.states.get(id) ?? [];
        list.push({ ...(JSON.parse(text) as { online: boolean; active?: string }), at });
        this.states.set(id, list);
      } else if (kind === "birth") this.births.push({ deviceId: id, at });
      else if (kind === "reply") this.replies.push({ deviceId: id, reply: JSON.parse(text) as Record<string, unknown> });
      else if (kind === "heartbeat") {
        this.heartbeats.set(id, (this.heartbeats.get(id) ?? 0) + 1);
        const h = JSON.parse(text) as { epoch: number; bootId?: string; uptimeMs: number };
        this.clocks.set(id, { epoch: h.epoch, bootId: h.bootId, uptimeMs: h.uptimeMs, at });
      }
    });
  }

  static async start(url: string, who: Identity, filters = ["routers/+/event", "routers/+/state", "routers/+/birth", "routers/+/reply", "routers/+/heartbeat"]): Promise<FleetWatcher> {
    // A persistent session: what arrives while the watcher is reconnecting is kept for it.
    const c = await connect(url, who, { clean: false });
    const w = new FleetWatcher(c);
    await c.subscribeAsync(filters.map((f) => ({ topic: f, qos: 1 as const })).reduce((o, x) => ({ ...o, [x.topic]: { qos: x.qos } }), {}));
    return w;
  }

  /**
   * A command's payload dated as the console dates it: for the boot of the router's last heartbeat,
   * expiring ttlMs after its uptime now (the heartbeat's plus the wall time since). Every cmd/* must
   * be dated; wait for a heartbeat (clocks) first.
   */
  dated(id: string, payload: Record<string, unknown>, ttlMs = 60000): Record<string, unknown> {
    const c = this.clocks.get(id);
    if (!c) throw new Error(`no heartbeat from ${id} yet: a command cannot be dated for it`);
    const expiresAtMs = Math.round(c.uptimeMs + (Date.now() - c.at)) + ttlMs;
    return { epoch: c.epoch, ...(c.bootId ? { bootId: c.bootId } : {}), expiresAtMs, ...payload };
  }

  /** Events of one device with duplicates (QoS 1 redelivery) removed by (epoch, seq), in arrival order. */
  uniqueEvents(id: string): EventRecord[] {
    const seen = new Set<string>();
    return this.events.filter((e) => {
      if (e.deviceId !== id) return false;
      const k = `${e.epoch}/${e.seq}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
}
