// The fleet collector: one MQTT session (persistent, QoS 1) on a shared subscription, so that N
// collectors split the stream and a restarted one gets what arrived while it was away. Events,
// births and state reports are committed before their PUBACK goes out (the broker resends anything
// not acknowledged, and the store keeps each event once). Heartbeats (QoS 0: at most once by the
// firmware's choice) are summed per router, link and minute in memory: each flush writes the
// routers' rows (last heartbeat, active link), and a minute's rollup rows once the minute is over,
// so a crash loses at most the last minute of this collector's share of heartbeat figures.
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import { decode, type Accepted, type RejectedMessage } from "./decode";
import { birthRow, rejectedRow, routerEventRow, SWITCH_TYPES, type EventRow } from "./event-row";
import { MinuteRollups } from "./rollup";
import { linkKind } from "./link-kind";
import { writeBatch, writeBirth, writeRouterEvent, writeState } from "../db/writes";
import type { Sql } from "../db/sql";
import { CollectorMetrics } from "../api/metrics";

export interface CollectorOptions {
  url: string;
  username: string;
  password: string;
  /** Default: the username (Mosquitto ties the client id to the login). One per collector: it names the persistent session. */
  clientId?: string;
  /** Shared-subscription group; null subscribes plainly (a single collector, or a broker without $share such as aedes). */
  shareGroup: string | null;
  db: Sql;
  flushMs?: number;
  /**
   * Write the link rollups of open minutes (partial sums, added up in the database) this often.
   * Unset: each minute is written once it is over (about one write per router-link-minute; charts
   * lag up to a minute). Small values suit a demo or a test.
   */
  rollupFlushMs?: number;
  /** Unwritten rollup rows + routers kept at most; heartbeats beyond are dropped and counted. */
  maxPendingKeys?: number;
  metrics?: CollectorMetrics;
  log?: (line: string) => void;
  now?: () => number;
  /** Extra MQTT options (TLS material, keepalive). */
  mqtt?: IClientOptions;
}

const MAX_REJECTED_PER_FLUSH = 1000;
/** SQLSTATE classes worth retrying: connection, transaction rollback (deadlock, serialization), resources, operator intervention, system. */
const TRANSIENT = /^(08|40|53|57|58)/;

export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code !== "string" || TRANSIENT.test(code) || /^E[A-Z]+$/.test(code);
}

export class Collector {
  readonly metrics: CollectorMetrics;
  #o: Required<Pick<CollectorOptions, "flushMs" | "maxPendingKeys" | "now" | "log">> & CollectorOptions;
  #client: MqttClient | null = null;
  #rollups = new MinuteRollups();
  #rejected = new Map<string, EventRow>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #flushing: Promise<void> | null = null;
  #inflightSince: number | null = null;
  #inflight: Promise<void> | null = null;
  #stopped = false;
  #stopping: Promise<void> | null = null;
  #lastFullFlush = 0;

  constructor(options: CollectorOptions) {
    this.#o = { flushMs: 1000, maxPendingKeys: 2000000, now: Date.now, log: () => {}, ...options };
    this.metrics = options.metrics ?? new CollectorMetrics();
  }

  get clientId(): string { return this.#o.clientId ?? this.#o.username; }

  filters(): Record<string, { qos: 0 | 1 }> {
    const prefix = this.#o.shareGroup ? `$share/${this.#o.shareGroup}/` : "";
    return {
      [`${prefix}routers/+/heartbeat`]: { qos: 0 },
      [`${prefix}routers/+/event`]: { qos: 1 },
      [`${prefix}routers/+/birth`]: { qos: 1 },
      [`${prefix}routers/+/state`]: { qos: 1 },
    };
  }

  /** Connect, subscribe and start flushing; resolves once subscribed. */
  async start(): Promise<void> {
    const o = this.#o;
    const client = mqtt.connect(o.url, {
      clientId: this.clientId, username: o.username, password: o.password, clean: false, reconnectPeriod: 1000,
      connectTimeout: 10000, keepalive: 30, resubscribe: true, ...o.mqtt,
    });
    this.#client = client;
    client.handleMessage = (packet, done) => {
      // The PUBACK goes out when `done` is called: only after the write committed.
      const p = this.#onPacket(packet);
      this.#inflight = p.catch(() => {});
      p.then(() => done(), (e: Error) => { o.log(`collector: ${e.message}`); done(); });
    };
    client.on("connect", () => this.metrics.connected.set({}, 1));
    client.on("close", () => this.metrics.connected.set({}, 0));
    client.on("error", (e) => o.log(`collector ${this.clientId}: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`collector ${this.clientId} could not connect to ${o.url}`)), 15000);
      client.once("connect", () => { clearTimeout(t); resolve(); });
    });
    // With a session present the broker kept the subscriptions; subscribing again is harmless.
    await client.subscribeAsync(this.filters());
    this.#timer = setInterval(() => void this.flush(), o.flushMs);
  }

  /** Write what is pending now (also called by the timer). */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => { this.#flushing = null; });
    return this.#flushing;
  }

  /** Stop taking messages, finish the write in progress, flush, leave; the session stays on the broker for the next start. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = null;
      await this.#client?.endAsync();
      this.#client = null;
      await this.#inflight;
      await this.#flushing;
      await this.flush();
      this.metrics.connected.set({}, 0);
    })();
    return this.#stopping;
  }

  /** Age of the oldest message received and not yet committed, in ms. */
  lagMs(): number {
    const firstRejected = this.#rejected.values().next().value;
    const oldest = Math.min(this.#rollups.oldestAt ?? Infinity, this.#inflightSince ?? Infinity, firstRejected?.receivedAt ?? Infinity);
    return oldest === Infinity ? 0 : Math.max(0, this.#o.now() - oldest);
  }

  /** Refresh the gauges that are read, not counted. */
  sample(): void {
    this.metrics.lag.set({}, this.lagMs() / 1000);
    this.metrics.pending.set({}, this.#rollups.size);
  }

  async #onPacket(packet: IPublishPacket): Promise<void> {
    const now = this.#o.now();
    const payload = typeof packet.payload === "string" ? new TextEncoder().encode(packet.payload) : packet.payload;
    const d = decode(packet.topic, payload);
    this.metrics.messages.inc({ kind: d.kind ?? "unknown" });
    if (!d.ok) return this.#reject(d, packet.topic, payload, now);
    if (d.kind === "heartbeat") {
      if (this.#rollups.size >= this.#o.maxPendingKeys) this.metrics.heartbeatsDropped.inc();
      else this.#rollups.add(d.router, d.value, now);
      return;
    }
    // A retained state replayed on subscribe is the current state, not a change: no event.
    if (d.kind === "state" && packet.retain) return this.#commit(now, (db) => writeState(db, d.router, d.value.online, now, false).then(() => {}));
    await this.#commit(now, (db) => this.#write(db, d, now));
  }

  #reject(d: RejectedMessage, topic: string, payload: Uint8Array, now: number): void {
    this.metrics.rejected.inc({ kind: d.kind ?? "unknown", reason: d.reason });
    if (d.router === null || this.#rejected.size >= MAX_REJECTED_PER_FLUSH) return;
    const row = rejectedRow({ ...d, router: d.router }, topic, payload, now);
    this.#rejected.set(row.router + "\0" + row.key, row);
  }

  async #write(db: Sql, d: Exclude<Accepted, { kind: "heartbeat" }>, now: number): Promise<void> {
    const m = this.metrics;
    if (d.kind === "event") {
      const row = routerEventRow(d.router, d.value, now);
      const stored = await writeRouterEvent(db, row, SWITCH_TYPES.has(row.type) ? row.to : null);
      if (!stored) { m.duplicates.inc(); return; }
      m.events.inc({ type: row.type });
      if (row.type === "failover") m.failovers.inc({ from_kind: row.from ? linkKind(row.from) : "none", to_kind: linkKind(row.to) });
      if (row.type === "link-state" && row.to) m.linkStateChanges.inc({ link_kind: linkKind(row.link), to_state: row.to });
    } else if (d.kind === "birth") {
      const b = d.value;
      if (await writeBirth(db, birthRow(d.router, b, now), b.birthSeq, b.firmware, b.configVersion)) m.events.inc({ type: "online" });
      else m.duplicates.inc();
    } else if (d.kind === "state") {
      if (await writeState(db, d.router, d.value.online, now, true)) m.events.inc({ type: "offline" });
    }
  }

  /** Run one write until it commits: transient failures (the database away) are retried and hold the PUBACK; others are logged and counted. */
  async #commit(receivedAt: number, fn: (db: Sql) => Promise<void>): Promise<void> {
    this.#inflightSince = receivedAt;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await fn(this.#o.db);
          return;
        } catch (e) {
          this.metrics.dbErrors.inc();
          if (!isTransient(e) || this.#stopped) throw new Error(`write failed, message dropped: ${(e as Error).message}`);
          if (attempt % 10 === 0) this.#o.log(`collector: database unavailable (${(e as Error).message}); retrying`);
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
        }
      }
    } finally {
      this.#inflightSince = null;
    }
  }

  async #flush(): Promise<void> {
    if (this.#rollups.size === 0 && this.#rejected.size === 0) return;
    const oldest = this.#rollups.oldestAt;
    const now = this.#o.now();
    const every = this.#o.rollupFlushMs;
    const all = this.#stopped || (every !== undefined && now - this.#lastFullFlush >= every);
    if (all) this.#lastFullFlush = now;
    const batch = this.#rollups.take(now, all);
    if (!batch.minutes.length && !batch.routers.length && !this.#rejected.size) return;
    const rejected = [...this.#rejected.values()];
    this.#rejected.clear();
    const t = performance.now();
    try {
      const stored = await this.#o.db.transaction((q) => writeBatch(q, batch.minutes, batch.routers, rejected));
      this.metrics.heartbeatsStored.inc({}, batch.heartbeats);
      this.metrics.events.inc({ type: "rejected" }, stored);
      this.metrics.flushSeconds.observe((performance.now() - t) / 1000);
    } catch (e) {
      this.metrics.dbErrors.inc();
      if (isTransient(e) && !this.#stopped) {
        this.#rollups.restore(batch, oldest);
        for (const r of rejected) if (this.#rejected.size < MAX_REJECTED_PER_FLUSH) this.#rejected.set(r.router + "\0" + r.key, r);
      }
      this.#o.log(`collector: flush of ${batch.heartbeats} heartbeats failed${isTransient(e) ? " (kept for the next flush)" : ""}: ${(e as Error).message}`);
    }
  }
}
