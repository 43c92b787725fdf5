// The router's voice towards the fleet: one MQTT session over the active uplink, birth and retained
// state on every connect, a last will that says offline, periodic heartbeats, and QoS 1 events that
// stay in the store-and-forward queue until the broker acknowledges them. After a failover the
// session is rebuilt over the new link at once instead of waiting for keepalive to notice the old
// path is dead. Reconnects back off exponentially with full jitter.
import type { Clock, InboundMessage, MqttMessage, MqttSession, Random, Store } from "../ports";
import type { DeviceConfig } from "../config/config";
import type { EventLog, RouterEvent } from "./events";
import { topicsFor, type Topics } from "./topics";
import { fullJitterDelay } from "./backoff";
import { EventQueue, type QueuedEvent } from "./event-queue";
import { EventPacer } from "./event-pacer";

/** Replies waiting for a session; more than this and the oldest go (a reply is not an event). */
const OUTBOX_MAX = 16;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 60000;

export interface LinkReport {
  name: string;
  state: string;
  rttMs: number;
  lossPct: number;
  jitterMs: number;
  rxPps?: number;
  usedBytes?: number;
  budgetBytes?: number;
}

export interface TelemetryDeps {
  deviceId: string;
  firmware: string;
  cfg: DeviceConfig;
  clock: Clock;
  random: Random;
  mqtt: MqttSession;
  store: Store;
  events: EventLog;
  safeMode: boolean;
  boots: number;
  /** Increments every boot: with seq (0..255 per boot) it names each event uniquely. */
  epoch: number;
  /** Drawn at random each boot: names the boot when the epoch starts over (an erased Store). */
  bootId: string;
  links: () => LinkReport[];
  active: () => string | null;
  /** Extra heartbeat fields (heap, rejected counts...). */
  extra: () => Record<string, number>;
  /** Stretch (>= 1) of the heartbeat period: the active link's data budget keeping pace. */
  pace?: () => number;
  onConnected: () => void;
  onMessage: (message: InboundMessage) => void;
}

export class Telemetry {
  readonly topics: Topics;
  readonly queue: EventQueue;
  readonly pacer: EventPacer;
  #d: TelemetryDeps;
  #cfg: DeviceConfig;
  #connected = false;
  #connecting = false;
  #link: string | null = null;
  #attempt = 0;
  #retryTimer: unknown = null;
  #hbTimer: unknown = null;
  #hbSeq = 0;
  #hbAt = -Infinity;
  #birthSeq = 0;
  #outbox: MqttMessage[] = [];
  connects = 0;

  constructor(d: TelemetryDeps) {
    this.#d = d;
    this.#cfg = d.cfg;
    this.topics = topicsFor(d.deviceId);
    this.queue = new EventQueue(d.store, d.clock, d.cfg.telemetry.queueMax, d.cfg.telemetry.queueFlushMs);
    this.pacer = new EventPacer(() => d.clock.now());
    this.queue.restore();
    d.mqtt.onConnected(() => this.#onConnected());
    d.mqtt.onDisconnected(() => this.#onDisconnected());
    d.mqtt.onMessage((m) => d.onMessage(m));
    d.events.on((e) => this.#enqueue(e));
  }

  get connected(): boolean { return this.#connected; }
  get queued(): number { return this.queue.length; }
  get dropped(): number { return this.queue.dropped; }

  start(): void {
    this.#hbTimer = this.#d.clock.every(this.#cfg.telemetry.heartbeatMs, () => this.#heartbeat());
  }

  stop(): void {
    this.#d.clock.cancel(this.#hbTimer);
    if (this.#retryTimer !== null) this.#d.clock.cancel(this.#retryTimer);
    this.#d.mqtt.disconnect();
  }

  /** A new config: heartbeat period and queue bound follow it; the session stays up. */
  setConfig(cfg: DeviceConfig): void {
    const periodChanged = cfg.telemetry.heartbeatMs !== this.#cfg.telemetry.heartbeatMs;
    this.#cfg = cfg;
    this.queue.setMax(cfg.telemetry.queueMax);
    if (periodChanged) {
      this.#d.clock.cancel(this.#hbTimer);
      this.start();
    }
  }

  /** The default route moved: rebuild the session over it now. */
  useLink(link: string): void {
    if (link === this.#link && (this.#connected || this.#connecting)) return;
    this.#link = link;
    this.#attempt = 0;
    if (this.#connected || this.#connecting) this.#d.mqtt.disconnect();
    this.#connected = false;
    this.queue.resend();
    this.#connect();
  }

  /**
   * Send a reply now or, if the session is being rebuilt (a command that moved the default route
   * does that), as soon as it is back.
   */
  send(message: MqttMessage): void {
    if (this.#connected) return this.#d.mqtt.publish(message);
    if (this.#outbox.length >= OUTBOX_MAX) this.#outbox.shift();
    this.#outbox.push(message);
  }

  #publishState(): void {
    if (this.#connected) {
      this.#d.mqtt.publish({ topic: this.topics.state, qos: 1, retain: true,
        payload: JSON.stringify({ online: true, active: this.#d.active() }) });
    }
  }

  #connect(): void {
    if (this.#retryTimer !== null) this.#d.clock.cancel(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#link === null) return;
    this.#connecting = true;
    this.#d.mqtt.connect({
      clientId: this.#d.deviceId,
      keepAliveS: this.#cfg.telemetry.keepAliveS,
      link: this.#link,
      // A persistent session: a command sent while the session is rebuilt after a failover (or
      // while the router reboots) waits at the broker instead of being lost; every command is
      // dated (epoch, expiresAtMs), so one that waited too long is refused, not run late. Safe
      // mode starts clean: if a queued message is what crashed the last boots, it must not come back.
      cleanSession: this.#d.safeMode,
      will: { topic: this.topics.state, payload: JSON.stringify({ online: false }), qos: 1, retain: true },
    });
  }

  #onConnected(): void {
    this.#connected = true;
    this.#connecting = false;
    this.#attempt = 0;
    this.connects++;
    const d = this.#d;
    this.#birthSeq = (this.#birthSeq + 1) & 0xffff;
    d.mqtt.publish({ topic: this.topics.birth, qos: 1, retain: false, payload: JSON.stringify({
      firmware: d.firmware, configVersion: this.#cfg.version, safeMode: d.safeMode, boots: d.boots, epoch: d.epoch, bootId: d.bootId,
      birthSeq: this.#birthSeq, links: d.links().map((l) => l.name),
    }) });
    this.#publishState();
    d.onConnected();
    for (const m of this.#outbox.splice(0)) d.mqtt.publish(m);
    this.queue.resend();
    this.#flush();
    // The fleet should see the new path at once, not a heartbeat period later.
    this.#heartbeat();
  }

  #onDisconnected(): void {
    const was = this.#connected || this.#connecting;
    this.#connected = false;
    this.#connecting = false;
    this.queue.resend();
    if (!was || this.#retryTimer !== null) return;
    const delay = fullJitterDelay(this.#attempt++, BACKOFF_BASE_MS, BACKOFF_CAP_MS, this.#d.random.next());
    this.#retryTimer = this.#d.clock.once(delay, () => {
      this.#retryTimer = null;
      this.#connect();
    });
  }

  #enqueue(e: RouterEvent): void {
    if (!this.pacer.allow(e.type, (e as { link?: string }).link)) return;
    this.queue.push(JSON.stringify(Object.assign({ epoch: this.#d.epoch, bootId: this.#d.bootId }, e)));
    // The state (with the new active link) goes out on the new session's connect.
    if (e.type === "failover" || e.type === "failback" || e.type === "initial") this.useLink(e.to);
    this.#flush();
  }

  #flush(): void {
    if (!this.#connected) return;
    // A copy: an acknowledgement may arrive while publishing and shorten the queue.
    for (const p of this.queue.items.slice()) {
      if (p.inflight) continue;
      p.inflight = true;
      this.#d.mqtt.publish({ topic: this.topics.event, qos: 1, retain: false, payload: p.payload }, () => this.#acked(p));
    }
  }

  #acked(p: QueuedEvent): void {
    this.queue.ack(p);
  }

  #heartbeat(): void {
    if (!this.#connected) return;
    const d = this.#d;
    // A metered link spending ahead of its budget hears from the router less often.
    const pace = d.pace ? d.pace() : 1;
    const now = d.clock.now();
    if (pace > 1 && now - this.#hbAt < this.#cfg.telemetry.heartbeatMs * pace) return;
    this.#hbAt = now;
    this.#hbSeq = (this.#hbSeq + 1) & 0xffff;
    d.mqtt.publish({ topic: this.topics.heartbeat, qos: 0, retain: false, payload: JSON.stringify(Object.assign({
      seq: this.#hbSeq, epoch: d.epoch, bootId: d.bootId, uptimeMs: d.clock.now(), active: d.active(), configVersion: this.#cfg.version,
      links: d.links(), queued: this.queue.length, dropped: this.queue.dropped,
    }, this.pacer.paced > 0 ? { eventsPaced: this.pacer.paced } : {}, d.extra())) });
  }
}
