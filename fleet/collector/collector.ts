// The fleet collector: one MQTT session (persistent, QoS 1) on a shared subscription, so that N
// collectors split the stream and a restarted one gets what arrived while it was away. Events,
// births and state reports are committed before their PUBACK goes out (the broker resends anything
// not acknowledged, and the store keeps each event once), many per transaction: the broker keeps
// up to max_inflight_messages unacknowledged with us, and each commit acknowledges all of them, so
// the collector drains faster than one router can publish. Each router has a quota (events a
// minute, link names a minute, rejected rows a minute): its excess is acknowledged, dropped and
// counted, and never delays another router's messages. Heartbeats (QoS 0: at most once by the
// firmware's choice) are summed per router, link and minute in memory: each flush writes the
// routers' rows (last heartbeat, active link), and a minute's rollup rows once the minute is over,
// so a crash loses at most the last minute of this collector's share of heartbeat figures.
// A write the database refuses for one router (not a transient failure) is retried router by
// router, so the refused rows are isolated, counted and kept as a `rejected` event, and every
// other router's rows are stored.
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import { decode, type Accepted, type RejectedMessage } from "./decode";
import { birthRow, rejectedRow, routerEventRow, SWITCH_TYPES, type EventRow } from "./event-row";
import { MinuteRollups, type LinkMinute, type RouterSeen } from "./rollup";
import { RouterQuota, type QuotaOptions } from "./router-quota";
import { linkKind } from "./link-kind";
import { writeBatch, writeBirth, writeRouterEvent, writeState } from "./writes";
import type { Queryable, Sql } from "../db/sql";
import { CollectorMetrics } from "./metrics";

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
  /** Events, births and state reports one router may have stored: a burst, then a rate (see DEFAULT_QUOTA). */
  quota?: QuotaOptions;
  /** Rejected messages kept (as `rejected` events) per router per minute; the rest only counted. */
  rejectedPerMinute?: number;
  /** Events written per transaction at most. */
  maxBatch?: number;
  metrics?: CollectorMetrics;
  log?: (line: string) => void;
  now?: () => number;
  /** Extra MQTT options (TLS material, keepalive). */
  mqtt?: IClientOptions;
}

const MAX_REJECTED_PER_FLUSH = 1000;
/**
 * A router's allowance of stored events (with births and state reports) per collector: 600 at once
 * covers the replay of a full offline queue (8 records of 3,800 bytes, ~40 small events each, plus
 * the 64 in RAM) after an outage; 30 a minute is more than the firmware sends while its links flap
 * (its own rejection events are paced to one per 6 s, dampening stops following a flapping link).
 * 43,200 a day at most per collector it reaches: ~13 MB.
 */
export const DEFAULT_QUOTA: QuotaOptions = { burst: 600, perMinute: 30 };
/** Why a handled message is not acknowledged by MQTT.js: we send its PUBACK ourselves once its batch commits. */
const DEFERRED = new Error("acknowledged after commit");

interface Pending { d: Exclude<Accepted, { kind: "heartbeat" }>; retain: boolean; receivedAt: number; messageId: number | undefined; conn: number; topic: string; payload: Uint8Array }
type Outcome = (m: CollectorMetrics) => void;
/** SQLSTATE classes worth retrying: connection, transaction rollback (deadlock, serialization), resources, operator intervention, system. */
const TRANSIENT = /^(08|40|53|57|58)/;

export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code !== "string" || TRANSIENT.test(code) || /^E[A-Z]+$/.test(code);
}

export class Collector {
  readonly metrics: CollectorMetrics;
  #o: Required<Pick<CollectorOptions, "flushMs" | "maxPendingKeys" | "now" | "log" | "quota" | "rejectedPerMinute" | "maxBatch">> & CollectorOptions;
  #client: MqttClient | null = null;
  #rollups = new MinuteRollups();
  #rejected = new Map<string, EventRow>();
  #quota: RouterQuota;
  #rejectQuota: RouterQuota;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  #conn = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #flushing: Promise<void> | null = null;
  #inflightSince: number | null = null;
  #stopped = false;
  #stopping: Promise<void> | null = null;
  #lastFullFlush = 0;

  constructor(options: CollectorOptions) {
    this.#o = { flushMs: 1000, maxPendingKeys: 2000000, now: Date.now, log: () => {}, quota: DEFAULT_QUOTA, rejectedPerMinute: 10, maxBatch: 1000, ...options };
    this.metrics = options.metrics ?? new CollectorMetrics();
    this.#quota = new RouterQuota(this.#o.quota);
    this.#rejectQuota = new RouterQuota({ burst: this.#o.rejectedPerMinute, perMinute: this.#o.rejectedPerMinute });
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
    // MQTT.js sends a QoS 1 PUBACK when `done` is called without an error, and reads the next
    // packet only after that: one commit per message, a few hundred a second. A message to store
    // is queued and `done` is called with an error (MQTT.js then reads on and sends nothing); its
    // PUBACK goes out from #drain once its batch has committed. Everything else is acknowledged now.
    client.handleMessage = (packet, done) => {
      if (this.#stopped) return done(DEFERRED); // unacknowledged: the broker hands it to us (or the group) again
      done(this.#onPacket(packet) ? DEFERRED : undefined);
    };
    client.on("connect", () => { this.#conn++; this.metrics.connected.set({}, 1); });
    client.on("close", () => this.metrics.connected.set({}, 0));
    client.on("error", (e) => o.log(`collector ${this.clientId}: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      // Before the first session an error is the answer, with its reason (refused, TLS, login);
      // after it the client reconnects by itself.
      const failed = (why: string) => { clearTimeout(t); client.off("error", onError); client.end(true); reject(new Error(`collector ${this.clientId} could not connect to ${o.url}: ${why}`)); };
      const onError = (e: Error) => failed(e.message);
      const t = setTimeout(() => failed("no answer within 15 s"), 15000);
      client.once("error", onError);
      client.once("connect", () => { clearTimeout(t); client.off("error", onError); resolve(); });
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
      // Commit and acknowledge what is queued, then leave (what arrives meanwhile stays unacknowledged).
      await this.#draining;
      await this.#client?.endAsync();
      this.#client = null;
      await this.#flushing;
      await this.flush();
      this.metrics.connected.set({}, 0);
    })();
    return this.#stopping;
  }

  /** Age of the oldest message received and not yet committed, in ms. */
  lagMs(): number {
    const firstRejected = this.#rejected.values().next().value;
    const oldest = Math.min(this.#rollups.oldestAt ?? Infinity, this.#inflightSince ?? Infinity, firstRejected?.receivedAt ?? Infinity,
      this.#queue[0]?.receivedAt ?? Infinity);
    return oldest === Infinity ? 0 : Math.max(0, this.#o.now() - oldest);
  }

  /** Refresh the gauges that are read, not counted. */
  sample(): void {
    this.metrics.lag.set({}, this.lagMs() / 1000);
    this.metrics.pending.set({}, this.#rollups.size);
  }

  /** Take one message; true when it waits for a commit (its PUBACK is sent later). */
  #onPacket(packet: IPublishPacket): boolean {
    const now = this.#o.now();
    const payload = typeof packet.payload === "string" ? new TextEncoder().encode(packet.payload) : packet.payload;
    const d = decode(packet.topic, payload);
    this.metrics.messages.inc({ kind: d.kind ?? "unknown" });
    if (!d.ok) { this.#reject(d, packet.topic, payload, now); return false; }
    if (d.kind === "heartbeat") {
      if (this.#rollups.size >= this.#o.maxPendingKeys) this.metrics.heartbeatsDropped.inc();
      else {
        const left = this.#rollups.add(d.router, d.value, now);
        if (left) { this.metrics.quotaDropped.inc({ kind: "link" }, left); this.#quota.count(d.router, left); }
      }
      return false;
    }
    if (!this.#quota.take(d.router, now)) { this.metrics.quotaDropped.inc({ kind: d.kind }); return false; }
    // QoS 1 messages are bounded by the broker's in-flight window; QoS 0 ones (the firmware sends none) by this.
    if (packet.qos === 0 && this.#queue.length >= 10 * this.#o.maxBatch) { this.metrics.quotaDropped.inc({ kind: d.kind }); this.#quota.count(d.router); return false; }
    this.#queue.push({ d, retain: packet.retain, receivedAt: now, messageId: packet.qos > 0 ? packet.messageId : undefined, conn: this.#conn,
      topic: packet.topic, payload });
    this.#draining ??= this.#drain().finally(() => { this.#draining = null; });
    return packet.qos > 0;
  }

  #reject(d: RejectedMessage, topic: string, payload: Uint8Array, now: number): void {
    this.metrics.rejected.inc({ kind: d.kind ?? "unknown", reason: d.reason });
    if (d.router === null) return;
    if (this.#rejected.size >= MAX_REJECTED_PER_FLUSH || !this.#rejectQuota.take(d.router, now)) {
      this.metrics.quotaDropped.inc({ kind: "rejected" });
      this.#quota.count(d.router);
      return;
    }
    const row = rejectedRow({ ...d, router: d.router }, topic, payload, now);
    this.#rejected.set(row.router + "\0" + row.key, row);
  }

  /** Write the queue in batches, each committed before its PUBACKs go out. */
  async #drain(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, this.#o.maxBatch);
      try {
        await this.#commit(batch[0].receivedAt, async (db) => {
          const outcomes = await db.transaction(async (q) => {
            const out: Outcome[] = [];
            for (const p of batch) out.push(await this.#write(q, p));
            return out;
          });
          for (const f of outcomes) f(this.metrics);
        });
      } catch (e) {
        if (this.#stopped && isTransient(e)) return; // not acknowledged: redelivered to the next start
        // Refused for one of them: store them one by one, so only the refused one is left out.
        for (const p of batch) {
          try {
            await this.#commit(p.receivedAt, async (db) => (await db.transaction((q) => this.#write(q, p)))(this.metrics));
          } catch (e1) {
            if (this.#stopped && isTransient(e1)) return;
            this.#o.log(`collector: ${p.d.kind} of ${p.d.router} not stored: ${(e1 as Error).message}`);
            this.#reject({ ok: false, router: p.d.router, kind: p.d.kind, reason: "store", error: `the database refused it: ${(e1 as Error).message}` }, p.topic, p.payload, p.receivedAt);
          }
        }
      }
      this.#ack(batch);
    }
  }

  #ack(batch: readonly Pending[]): void {
    const c = this.#client as unknown as { connected: boolean; _sendPacket(p: object, cb: () => void): void } | null;
    if (!c?.connected) return; // the broker redelivers on the next connection; the store keeps each once
    for (const p of batch) {
      // Only on the connection it came in on: after a reconnect the broker resends it (same store, same row).
      if (p.messageId !== undefined && p.conn === this.#conn) c._sendPacket({ cmd: "puback", messageId: p.messageId }, () => {});
    }
  }

  /** One message's statements; returns what to count once the transaction committed. */
  async #write(db: Queryable, p: Pending): Promise<Outcome> {
    const { d, receivedAt: now } = p;
    if (d.kind === "event") {
      const row = routerEventRow(d.router, d.value, now);
      const stored = await writeRouterEvent(db, row, SWITCH_TYPES.has(row.type) ? row.to : null);
      if (!stored) return (m) => m.duplicates.inc();
      return (m) => {
        m.events.inc({ type: row.type });
        if (row.type === "failover") m.failovers.inc({ from_kind: row.from ? linkKind(row.from) : "none", to_kind: linkKind(row.to) });
        if (row.type === "link-state" && row.to) m.linkStateChanges.inc({ link_kind: linkKind(row.link), to_state: row.to });
      };
    }
    if (d.kind === "birth") {
      const b = d.value;
      const stored = await writeBirth(db, birthRow(d.router, b, now), b.birthSeq, b.firmware, b.configVersion);
      return stored ? (m) => m.events.inc({ type: "online" }) : (m) => m.duplicates.inc();
    }
    // A retained state replayed on subscribe is the current state, not a change: no event.
    const offline = await writeState(db, d.router, d.value.online, now, !p.retain);
    return offline ? (m) => m.events.inc({ type: "offline" }) : () => {};
  }

  /** Run one write until it commits: transient failures (the database away) are retried and hold the PUBACK; others are thrown. */
  async #commit(receivedAt: number, fn: (db: Sql) => Promise<void>): Promise<void> {
    this.#inflightSince = receivedAt;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await fn(this.#o.db);
          return;
        } catch (e) {
          this.metrics.dbErrors.inc();
          if (!isTransient(e) || this.#stopped) throw e;
          if (attempt % 10 === 0) this.#o.log(`collector: database unavailable (${(e as Error).message}); retrying`);
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
        }
      }
    } finally {
      this.#inflightSince = null;
    }
  }

  async #flush(): Promise<void> {
    if (this.#rollups.size === 0 && this.#rejected.size === 0) {
      const dropped = this.#quota.takeDropped();
      if (dropped.size) await this.#writeFlush({ minutes: [], routers: [], heartbeats: 0 }, [], dropped, null);
      return;
    }
    const oldest = this.#rollups.oldestAt;
    const now = this.#o.now();
    const every = this.#o.rollupFlushMs;
    const all = this.#stopped || (every !== undefined && now - this.#lastFullFlush >= every);
    if (all) this.#lastFullFlush = now;
    const batch = this.#rollups.take(now, all);
    const dropped = this.#quota.takeDropped();
    if (!batch.minutes.length && !batch.routers.length && !this.#rejected.size && !dropped.size) return;
    const rejected = [...this.#rejected.values()];
    this.#rejected.clear();
    await this.#writeFlush(batch, rejected, dropped, oldest);
  }

  /** One flush in one transaction; when the database refuses it (not a transient failure), router by router (halving). */
  async #writeFlush(batch: RollupBatch, rejected: EventRow[], dropped: Map<string, number>, oldest: number | null): Promise<void> {
    const t = performance.now();
    try {
      const stored = await this.#o.db.transaction((q) => writeBatch(q, batch.minutes, batch.routers, rejected, dropped));
      this.metrics.heartbeatsStored.inc({}, batch.heartbeats);
      this.metrics.events.inc({ type: "rejected" }, stored);
      this.metrics.flushSeconds.observe((performance.now() - t) / 1000);
    } catch (e) {
      this.metrics.dbErrors.inc();
      if (isTransient(e)) {
        if (!this.#stopped) {
          this.#rollups.restore(batch, oldest);
          for (const r of rejected) if (this.#rejected.size < MAX_REJECTED_PER_FLUSH) this.#rejected.set(r.router + "\0" + r.key, r);
          this.#quota.restoreDropped(dropped);
        }
        this.#o.log(`collector: flush of ${batch.heartbeats} heartbeats failed (kept for the next flush): ${(e as Error).message}`);
        return;
      }
      const routers = new Set<string>([...batch.routers.map((r) => r.router), ...batch.minutes.map((m) => m.router), ...rejected.map((r) => r.router), ...dropped.keys()]);
      if (routers.size <= 1) return this.#refused([...routers][0], batch, rejected, dropped, e as Error);
      // Split by router and try each half on its own.
      const ids = [...routers].sort();
      const half = new Set(ids.slice(0, ids.length >> 1));
      for (const inHalf of [true, false]) {
        const pick = <T extends { router: string }>(xs: readonly T[]) => xs.filter((x) => half.has(x.router) === inHalf);
        const minutes = pick(batch.minutes);
        const part: RollupBatch = { minutes, routers: pick(batch.routers), heartbeats: 0 };
        part.heartbeats = countHeartbeats(part, batch);
        await this.#writeFlush(part, pick(rejected), new Map([...dropped].filter(([r]) => half.has(r) === inHalf)), oldest);
      }
    }
  }

  /**
   * One router's flush rows that the database refused: counted, logged, kept as a `rejected` event of
   * that router beside its other rejected rows and drops (or alone, if those were what it refused).
   */
  async #refused(router: string | undefined, batch: RollupBatch, rejected: EventRow[], dropped: Map<string, number>, e: Error): Promise<void> {
    if (router === undefined) return;
    this.metrics.rejected.inc({ kind: "heartbeat", reason: "store" });
    this.#o.log(`collector: the database refused ${router}'s flush (${batch.minutes.length} minute rows, ${rejected.length} rejected rows): ${e.message}`);
    const row = rejectedRow({ ok: false, router, kind: "heartbeat", reason: "store", error: `the database refused its figures: ${e.message}` },
      `routers/${router}/heartbeat`, new TextEncoder().encode(String(batch.minutes[0]?.minute ?? "")), this.#o.now());
    const drops = new Map([[router, (dropped.get(router) ?? 0) + batch.heartbeats]]);
    for (const rows of rejected.length ? [[row, ...rejected], [row]] : [[row]]) {
      try {
        const stored = await this.#o.db.transaction((q) => writeBatch(q, [], [], rows, drops));
        this.metrics.events.inc({ type: "rejected" }, stored);
        return;
      } catch (e2) {
        this.#o.log(`collector: could not record that either: ${(e2 as Error).message}`);
      }
    }
  }
}

type RollupBatch = { minutes: LinkMinute[]; routers: RouterSeen[]; heartbeats: number };

/** Heartbeats of a part of a batch: its routers' share of the batch's samples (for the stored count). */
function countHeartbeats(part: RollupBatch, all: RollupBatch): number {
  if (!all.minutes.length) return 0;
  const samples = (ms: readonly LinkMinute[]) => ms.reduce((n, m) => n + m.samples, 0);
  return Math.round((all.heartbeats * samples(part.minutes)) / Math.max(1, samples(all.minutes)));
}
