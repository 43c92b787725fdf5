// MqttSession on MQTT.js against a real broker, for the wall-clock simulator and the fleet. The
// TCP session still "rides" a simulated uplink: while that link passes traffic the session works;
// when it stops, publishes vanish and the socket is cut after 1.5 keepalives, so the broker sees
// what it would see from a dead path (and publishes the will). A simulated broker outage cuts the
// socket at once, as a crashed broker's reset would.
//
// What reaches the firmware is bounded as on the device: a payload over MAX_INBOUND_BYTES is handed
// on as its size only, and each message carries its RETAIN flag. With protocolVersion 5 the cap
// is also told to the broker in CONNECT (Maximum Packet Size), so it never sends a bigger packet;
// MQTT 3.1.1 (the default: the device's client and the embedded aedes broker speak only that)
// has no such field, and the broker's own max_packet_size has to say it.
import mqtt, { type MqttClient } from "mqtt";
import type { InboundMessage, MqttConnectOptions, MqttMessage, MqttSession } from "../../src/ports";
import { MAX_INBOUND_BYTES } from "../../src/config/limits";
import type { BootContext } from "../world/boot-context";
import type { SimWorld } from "../world/world";
import type { Identity } from "../../fleet/broker/credentials";
import { loginOptions } from "../../fleet/broker/connect";

export interface BrokerEndpoint {
  url: string;
  /** How the router logs in (see loginOptions: a client certificate on mqtts://, else a password). */
  identity?: Identity;
  /** Told of each connection the router opens (when its TCP connect leaves). */
  onAttempt?: () => void;
  /** MQTT protocol level: 4 (3.1.1, default) or 5 (tells the broker the inbound cap). */
  protocolVersion?: 4 | 5;
  /** Told when a session is up, and why an attempt failed (the client's error: refused, TLS, login). */
  onConnected?: () => void;
  onFailed?: (reason: string) => void;
}

/** The largest packet the router accepts: payload cap plus room for the topic and headers. */
export const MAX_PACKET_BYTES = MAX_INBOUND_BYTES + 512;

const CONNECT_TIMEOUT_MS = 5000;

export class MqttJsSession implements MqttSession {
  #client: MqttClient | null = null;
  #connected: Array<() => void> = [];
  #disconnected: Array<(reason: string) => void> = [];
  #message: Array<(m: InboundMessage) => void> = [];
  #link: string | null = null;
  #watch: ReturnType<typeof setInterval> | null = null;
  #gen = 0;

  constructor(private readonly ctx: BootContext, private readonly world: SimWorld, private readonly broker: BrokerEndpoint) {}

  #pathOk(): boolean {
    const l = this.#link === null ? undefined : this.world.maybeLink(this.#link);
    return l !== undefined && l.passes && this.world.broker.up && this.ctx.alive;
  }

  connect(o: MqttConnectOptions): void {
    this.#drop(true);
    const gen = ++this.#gen;
    this.#link = o.link;
    if (!this.#pathOk()) {
      // No path: the TCP connect times out. (unref: a closed router must not hold its process open.)
      setTimeout(() => this.#lost(gen, "connect failed"), CONNECT_TIMEOUT_MS).unref();
      return;
    }
    this.broker.onAttempt?.();
    const client = mqtt.connect(this.broker.url, {
      clientId: o.clientId, ...loginOptions(this.broker.url, this.broker.identity),
      keepalive: o.keepAliveS, clean: o.cleanSession, reconnectPeriod: 0, connectTimeout: CONNECT_TIMEOUT_MS,
      protocolVersion: this.broker.protocolVersion ?? 4,
      ...(this.broker.protocolVersion === 5 ? { properties: { maximumPacketSize: MAX_PACKET_BYTES } } : {}),
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: o.will.qos, retain: o.will.retain },
    });
    this.#client = client;
    client.on("connect", () => {
      if (gen !== this.#gen) return;
      this.broker.onConnected?.();
      this.ctx.deliver(() => { for (const fn of this.#connected) fn(); });
      this.#watchPath(gen, o.keepAliveS);
    });
    client.on("message", (topic, payload, packet) => {
      if (gen !== this.#gen || !this.#pathOk()) return;
      const bytes = payload.length;
      const m: InboundMessage = { topic, payload: bytes > MAX_INBOUND_BYTES ? null : payload.toString("utf8"), bytes, retained: packet.retain };
      this.ctx.deliver(() => { for (const fn of this.#message) fn(m); });
    });
    client.on("close", () => { this.broker.onFailed?.("connection closed before the broker accepted the login (no answer, or refused)"); this.#lost(gen, "connection closed"); });
    client.on("error", (e) => { this.broker.onFailed?.(e.message); this.#lost(gen, "connection error"); });
  }

  /** Watch the simulated path under the real socket. */
  #watchPath(gen: number, keepAliveS: number): void {
    let brokenSince = 0;
    this.#watch = setInterval(() => {
      if (gen !== this.#gen) return;
      if (!this.world.broker.up) return this.#lost(gen, "broker gone");
      if (this.#pathOk()) { brokenSince = 0; return; }
      brokenSince ||= Date.now();
      // The client gives up after one keepalive without PINGRESP, the broker after 1.5.
      if (Date.now() - brokenSince >= keepAliveS * 1500) this.#lost(gen, "keepalive timeout");
    }, 100);
  }

  #lost(gen: number, reason: string): void {
    if (gen !== this.#gen) return;
    this.#drop(false);
    this.#gen++;
    this.ctx.deliver(() => { for (const fn of this.#disconnected) fn(reason); });
  }

  /** Clean: DISCONNECT, no will. Otherwise the socket just dies and the broker publishes the will. */
  #drop(clean: boolean): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = null;
    const c = this.#client;
    this.#client = null;
    if (!c) return;
    c.removeAllListeners();
    c.on("error", () => {});
    if (clean && this.#pathOk()) c.end(false);
    // Forced: the socket dies without DISCONNECT (the broker sends the will), and MQTT.js drops its
    // keepalive timer (a bare stream.destroy() left it holding the process open for 1.5 keepalives).
    else c.end(true);
  }

  disconnect(): void {
    this.#drop(true);
    this.#gen++;
  }

  publish(m: MqttMessage, acked?: () => void): void {
    const c = this.#client;
    if (!c || !this.#pathOk()) return;
    const gen = this.#gen;
    c.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => {
      if (err) return;
      // For scoring: what the broker accepted (QoS 1: acknowledged; QoS 0: written to a live session).
      this.world.broker.arrivals.push({ atMs: this.world.clock.now(), topic: m.topic, payload: m.payload });
      if (m.retain) this.world.broker.retained.set(m.topic, m.payload);
      if (acked && gen === this.#gen) this.ctx.deliver(acked);
    });
  }

  subscribe(filter: string): void {
    this.#client?.subscribe(filter, { qos: 1 });
  }

  onConnected(fn: () => void): void { this.#connected.push(fn); }
  onDisconnected(fn: (reason: string) => void): void { this.#disconnected.push(fn); }
  onMessage(fn: (m: InboundMessage) => void): void { this.#message.push(fn); }

  /** The process is done with this router: close without a will (used when a test ends). */
  close(): void {
    this.disconnect();
  }
}
