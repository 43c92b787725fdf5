// What /metrics says. Two sources: this collector's own counters (messages, rejects, stored rows,
// lag: sum them over collectors), and the fleet as the database has it (routers online, offline,
// on backup, heartbeat ages: the same on every collector, so take max() over them). Labels come
// only from fixed enums: link kind, message kind, reject reason, event type, link state. Never a
// link name or anything else a router chooses, and a router id only in the one bounded family an
// alert needs to say which router (fleet_router_offline_since_seconds: at most OFFLINE_LISTED
// routers, those gone offline within OFFLINE_LISTED_WINDOW_S; the rest are counted, not named).
import { Counter, Gauge, Histogram, ListedGauge, renderAll, type Metric } from "./exposition";
import { ROUTER_ID } from "../collector/decode";
import { LINK_KINDS } from "../collector/link-kind";
import { MESSAGE_KINDS, REJECT_REASONS } from "../collector/decode";
import { MESSAGE_SCHEMAS } from "../collector/message-schemas";
import type { Queryable } from "../db/sql";

const EVENT_TYPES = [...(MESSAGE_SCHEMAS.event.properties.type.enum as string[]), "online", "offline", "rejected"];
const KINDS_OR_NONE = [...LINK_KINDS, "none"];
const LINK_STATES = ["unknown", "up", "degraded", "down"];
/** Routers named in the per-router offline series at most: a regional outage pages once, as FleetManyRoutersOffline. */
export const OFFLINE_LISTED = 100;
/** A router offline longer than this (retired, on a shelf) leaves the per-router series; fleet_routers still counts it. */
export const OFFLINE_LISTED_WINDOW_S = 86400;
export const AGE_BUCKETS_S = [5, 10, 15, 20, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400];

export class CollectorMetrics {
  readonly messages = new Counter("fleet_collector_messages_total", "MQTT messages received, by message kind", { kind: [...MESSAGE_KINDS, "unknown"] });
  readonly rejected = new Counter("fleet_collector_rejected_total", "Messages rejected (bad topic, oversize, not JSON, schema, bounds), by kind and reason",
    { kind: [...MESSAGE_KINDS, "unknown"], reason: [...REJECT_REASONS] });
  readonly heartbeatsStored = new Counter("fleet_collector_heartbeats_stored_total", "Heartbeats whose figures are committed to the database (as per-minute rollups)");
  readonly heartbeatsDropped = new Counter("fleet_collector_heartbeats_dropped_total", "Heartbeats dropped because the unwritten batch was full (the database is behind)");
  readonly quotaDropped = new Counter("fleet_collector_quota_dropped_total",
    "Messages (and heartbeat links) dropped because their router was over its quota, by what was dropped", { kind: ["event", "birth", "state", "link", "rejected"] });
  readonly events = new Counter("fleet_collector_events_stored_total", "Event rows stored (each event once), by type", { type: EVENT_TYPES });
  readonly duplicates = new Counter("fleet_collector_duplicates_total", "Redelivered events already stored (not stored again)");
  readonly failovers = new Counter("fleet_failovers_total", "Failovers stored, by the kind of link left and the kind switched to", { from_kind: KINDS_OR_NONE, to_kind: [...LINK_KINDS] });
  readonly linkStateChanges = new Counter("fleet_link_state_changes_total", "Link state changes stored, by link kind and new state", { link_kind: [...LINK_KINDS], to_state: LINK_STATES });
  readonly dbErrors = new Counter("fleet_collector_db_errors_total", "Database statements that failed (retried when the error is transient)");
  readonly flushSeconds = new Histogram("fleet_collector_flush_seconds", "Time to write one batch of heartbeat rollups", [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  readonly lag = new Gauge("fleet_collector_lag_seconds", "Age of the oldest message received and not yet committed (0 when nothing waits)");
  readonly pending = new Gauge("fleet_collector_pending_keys", "Rollup rows and routers waiting for the next flush");
  readonly connected = new Gauge("fleet_collector_connected", "1 while the collector's MQTT session is up");

  all(): Metric[] {
    return [this.messages, this.rejected, this.heartbeatsStored, this.heartbeatsDropped, this.quotaDropped, this.events, this.duplicates, this.failovers,
      this.linkStateChanges, this.dbErrors, this.flushSeconds, this.lag, this.pending, this.connected];
  }
}

/** The fleet's state from the database, read at most every `cacheMs` however often Prometheus scrapes. */
export class FleetGauges {
  readonly routers = new Gauge("fleet_routers", "Routers by last known presence (birth, heartbeat, retained state, will)", { state: ["online", "offline", "unknown"] });
  readonly onBackup = new Gauge("fleet_routers_on_backup", "Online routers whose active uplink is not their first (preferred) link");
  readonly heartbeatAge = new Histogram("fleet_heartbeat_age_seconds",
    "Seconds since each router's last heartbeat, over all routers that ever sent one (a snapshot: use histogram_quantile without rate)", AGE_BUCKETS_S);
  readonly offlineSince = new ListedGauge("fleet_router_offline_since_seconds",
    `When each offline router went offline (Unix time, the receive time of its will or offline state): the ${OFFLINE_LISTED} most recent within the last ${OFFLINE_LISTED_WINDOW_S / 3600} h`,
    "router", ROUTER_ID, OFFLINE_LISTED);
  readonly offlineUnlisted = new Gauge("fleet_routers_offline_unlisted", "Offline routers not named in fleet_router_offline_since_seconds (over the cap or offline longer than its window)");
  readonly scrapeErrors = new Counter("fleet_gauges_errors_total", "Failed reads of the fleet state for /metrics");
  #readAt = 0;
  #reading: Promise<void> | null = null;

  constructor(private readonly db: Queryable, private readonly now: () => number = Date.now, private readonly cacheMs = 5000) {}

  async refresh(): Promise<void> {
    if (this.now() - this.#readAt < this.cacheMs) return;
    this.#reading ??= this.#read().finally(() => { this.#reading = null; });
    await this.#reading;
  }

  async #read(): Promise<void> {
    try {
      const [c] = await this.db.query<Record<string, number>>(`
        SELECT count(*) FILTER (WHERE online)::int AS online, count(*) FILTER (WHERE online = false)::int AS offline,
          count(*) FILTER (WHERE online IS NULL)::int AS unknown,
          count(*) FILTER (WHERE online AND active IS NOT NULL AND primary_link IS NOT NULL AND active <> primary_link)::int AS backup
        FROM routers`);
      const buckets = AGE_BUCKETS_S.map((b, i) => `count(*) FILTER (WHERE age <= ${b})::int AS b${i}`).join(", ");
      const [h] = await this.db.query<Record<string, number>>(`
        SELECT ${buckets}, coalesce(sum(age), 0)::float8 AS sum, count(*)::int AS n
        FROM (SELECT greatest(0, $1::float8 / 1000 - extract(epoch FROM last_heartbeat_at)::float8) AS age FROM routers WHERE last_heartbeat_at IS NOT NULL) s`,
        [this.now()]);
      this.routers.set({ state: "online" }, c.online);
      this.routers.set({ state: "offline" }, c.offline);
      this.routers.set({ state: "unknown" }, c.unknown);
      this.onBackup.set({}, c.backup);
      this.heartbeatAge.setSnapshot(AGE_BUCKETS_S.map((_, i) => h[`b${i}`]), h.sum, h.n);
      // Ids are checked when a message is taken (decode.ts); checked again here, as a label value.
      const off = await this.db.query<{ id: string; since: number }>(`
        SELECT id, extract(epoch FROM online_at)::float8 AS since FROM routers
        WHERE online = false AND online_at > to_timestamp($1::float8 / 1000 - ${OFFLINE_LISTED_WINDOW_S})
        ORDER BY online_at DESC LIMIT ${OFFLINE_LISTED}`, [this.now()]);
      const listed = off.filter((r) => ROUTER_ID.test(r.id));
      this.offlineSince.setAll(listed.map((r) => [r.id, Math.round(r.since * 1000) / 1000] as const));
      this.offlineUnlisted.set({}, c.offline - listed.length);
      this.#readAt = this.now();
    } catch {
      this.scrapeErrors.inc();
    }
  }

  all(): Metric[] {
    return [this.routers, this.onBackup, this.heartbeatAge, this.offlineSince, this.offlineUnlisted, this.scrapeErrors];
  }
}

export function renderMetrics(parts: ReadonlyArray<{ all(): Metric[] }>): string {
  return renderAll(parts.flatMap((p) => p.all()));
}
