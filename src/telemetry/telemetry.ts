// The router's voice towards the fleet: one MQTT session over the active uplink, birth and retained
// state on every connect, a last will that says offline, periodic heartbeats, and QoS 1 events that
// stay queued until the broker acknowledges them. After a failover the session is rebuilt over the
// new link at once instead of waiting for keepalive to notice the old path is dead.
import type { Clock, MqttSession, Random } from "../ports";
import type { DeviceConfig } from "../config/config";
import type { EventLog, RouterEvent } from "./events";
import { topicsFor, type Topics } from "./topics";
import { fullJitterDelay } from "./backoff";

const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 60000;

export interface LinkReport {
  name: string;
  state: string;
  rttMs: number;
  lossPct: number;
  jitterMs: number;
}

export interface TelemetryDeps {
  deviceId: string;
  firmware: string;
  cfg: DeviceConfig;
  clock: Clock;
  random: Random;
  mqtt: MqttSession;
  events: EventLog;
  safeMode: boolean;
  boots: number;
  links: () => LinkReport[];
  active: () => string | null;
}

interface Pending {
  seq: number;
  payload: string;
  inflight: boolean;
}

export class Telemetry {
  #d: TelemetryDeps;
  #t: Topics;
  #connected = false;
  #connecting = false;
  #link: string | null = null;
  #attempt = 0;
  #retryTimer: unknown = null;
  #hbTimer: unknown = null;
  #hbSeq = 0;
  #birthSeq = 0;
  #queue: Pending[] = [];
  /** Events dropped because the offline queue was full. */
  dropped = 0;
  heartbeatsSent = 0;

  constructor(d: TelemetryDeps) {
    this.#d = d;
    this.#t = topicsFor(d.deviceId);
    d.mqtt.onConnected(() => this.#onConnected());
    d.mqtt.onDisconnected(() => this.#onDisconnected());
    d.events.on((e) => this.#enqueue(e));
  }

  get connected(): boolean { return this.#connected; }
  get queued(): number { return this.#queue.length; }

  start(): void {
    this.#hbTimer = this.#d.clock.every(this.#d.cfg.telemetry.heartbeatMs, () => this.#heartbeat());
  }

  stop(): void {
    this.#d.clock.cancel(this.#hbTimer);
    if (this.#retryTimer !== null) this.#d.clock.cancel(this.#retryTimer);
    this.#d.mqtt.disconnect();
  }

  /** The default route moved: rebuild the session over it now. */
  useLink(link: string): void {
    if (link === this.#link && (this.#connected || this.#connecting)) return;
    this.#link = link;
    this.#attempt = 0;
    if (this.#connected || this.#connecting) this.#d.mqtt.disconnect();
    this.#connected = false;
    this.#connect();
  }

  #connect(): void {
    if (this.#retryTimer !== null) this.#d.clock.cancel(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#link === null) return;
    this.#connecting = true;
    this.#d.mqtt.connect({
      clientId: this.#d.deviceId,
      keepAliveS: this.#d.cfg.telemetry.keepAliveS,
      link: this.#link,
      will: { topic: this.#t.state, payload: JSON.stringify({ online: false }), qos: 1, retain: true },
    });
  }

  #onConnected(): void {
    this.#connected = true;
    this.#connecting = false;
    this.#attempt = 0;
    const d = this.#d;
    const m = d.mqtt;
    this.#birthSeq = (this.#birthSeq + 1) & 0xffff;
    m.publish({ topic: this.#t.birth, qos: 1, retain: false, payload: JSON.stringify({
      firmware: d.firmware, configVersion: d.cfg.version, safeMode: d.safeMode, boots: d.boots,
      birthSeq: this.#birthSeq, links: d.links().map((l) => l.name),
    }) });
    m.publish({ topic: this.#t.state, qos: 1, retain: true, payload: JSON.stringify({ online: true, active: d.active() }) });
    for (const p of this.#queue) p.inflight = false;
    this.#flush();
    // The fleet should see the new path at once, not a heartbeat period later.
    this.#heartbeat();
  }

  #onDisconnected(): void {
    const was = this.#connected || this.#connecting;
    this.#connected = false;
    this.#connecting = false;
    for (const p of this.#queue) p.inflight = false;
    if (!was || this.#retryTimer !== null) return;
    const delay = fullJitterDelay(this.#attempt++, BACKOFF_BASE_MS, BACKOFF_CAP_MS, this.#d.random.next());
    this.#retryTimer = this.#d.clock.once(delay, () => {
      this.#retryTimer = null;
      this.#connect();
    });
  }

  #enqueue(e: RouterEvent): void {
    if (this.#queue.length >= this.#d.cfg.telemetry.queueMax) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push({ seq: e.seq, payload: JSON.stringify(e), inflight: false });
    if (e.type === "failover" || e.type === "failback" || e.type === "initial") {
      this.useLink(e.to);
      // The retained state follows the active link.
      if (this.#connected) this.#d.mqtt.publish({ topic: this.#t.state, qos: 1, retain: true,
        payload: JSON.stringify({ online: true, active: e.to }) });
    }
    this.#flush();
  }

  #flush(): void {
    if (!this.#connected) return;
    for (const p of this.#queue) {
      if (p.inflight) continue;
      p.inflight = true;
      this.#d.mqtt.publish({ topic: this.#t.event, qos: 1, retain: false, payload: p.payload }, () => this.#acked(p));
    }
  }

  #acked(p: Pending): void {
    const i = this.#queue.indexOf(p);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  #heartbeat(): void {
    if (!this.#connected) return;
    const d = this.#d;
    this.#hbSeq = (this.#hbSeq + 1) & 0xffff;
    this.heartbeatsSent++;
    d.mqtt.publish({ topic: this.#t.heartbeat, qos: 0, retain: false, payload: JSON.stringify({
      seq: this.#hbSeq, uptimeMs: d.clock.now(), active: d.active(), links: d.links(),
      queued: this.#queue.length, dropped: this.dropped,
    }) });
  }
}
