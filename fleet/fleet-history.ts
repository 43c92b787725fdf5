// Fleet history in one call: open the database (PostgreSQL URL, or a PGlite directory), apply the
// migrations, start a collector on the broker, keep the retention job running, and hand back the
// HTTP handler for /api/history and /metrics. `npm start` calls this beside its broker; the
// standalone collector (fleet/cli/collector.ts) calls it with a PostgreSQL URL.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isPostgresUrl, openDatabase, type Sql } from "./db/sql";
import { REPO_ROOT } from "./paths";
import { migrate } from "./db/migrate";
import { DEFAULT_RETENTION, scheduleRetention, type Retention } from "./db/retention";
import { Collector } from "./collector/collector";
import { CollectorMetrics, FleetGauges, renderMetrics } from "./collector/metrics";
import { historyApi, type Handler } from "./api/history-api";
import type { IClientOptions } from "mqtt";

export interface FleetHistoryOptions {
  brokerUrl: string;
  username: string;
  password: string;
  clientId?: string;
  /** `postgres://...`, `memory:`, or a PGlite data directory. */
  db: string;
  /** Shared-subscription group, or null for a plain subscription (one collector; aedes has no $share). */
  shareGroup: string | null;
  retention?: Retention;
  flushMs?: number;
  /** See CollectorOptions.rollupFlushMs. */
  rollupFlushMs?: number;
  log?: (line: string) => void;
  mqtt?: IClientOptions;
}

export interface FleetHistory {
  db: Sql;
  collector: Collector;
  /** /api/history/* and /metrics; returns false for any other path. */
  handler: Handler;
  stop(): Promise<void>;
}

export async function startFleetHistory(o: FleetHistoryOptions): Promise<FleetHistory> {
  const log = o.log ?? ((s: string) => console.error(s));
  const db = await openDatabase(o.db);
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  const metrics = new CollectorMetrics();
  const collector = new Collector({ url: o.brokerUrl, username: o.username, password: o.password, clientId: o.clientId,
    shareGroup: o.shareGroup, db, metrics, log, flushMs: o.flushMs, rollupFlushMs: o.rollupFlushMs, mqtt: o.mqtt });
  await collector.start();
  const stopRetention = scheduleRetention(db, o.retention ?? DEFAULT_RETENTION, log);
  const gauges = new FleetGauges(db);
  const handler = historyApi({
    db: () => db,
    metrics: async () => {
      collector.sample();
      await gauges.refresh();
      return renderMetrics([metrics, gauges]);
    },
  });
  let stopping: Promise<void> | null = null;
  return {
    db, collector, handler,
    stop: () => stopping ??= (async () => {
      stopRetention();
      await collector.stop();
      await db.close();
    })(),
  };
}

/**
 * `npm start`'s history: collector-1 on the demo broker, the embedded PGlite database in
 * `.fleet-history/` (kept between runs; FLEET_HISTORY_DB=postgres://... to use PostgreSQL instead).
 * A second `npm start` while one runs gets an in-memory database rather than sharing the directory.
 */
export async function startLocalHistory(broker: { url: string; kind: string }, login: { username: string; password: string },
  log: (line: string) => void = (s) => console.error(s)): Promise<FleetHistory> {
  let db = process.env.FLEET_HISTORY_DB ?? join(REPO_ROOT, ".fleet-history");
  let release = () => {};
  if (!isPostgresUrl(db)) {
    const lock = takeDirLock(db);
    if (lock) release = lock;
    else {
      log(`history: ${db} is in use by another run; this one keeps its history in memory`);
      db = "memory:";
    }
  }
  const h = await startFleetHistory({ brokerUrl: broker.url, username: login.username, password: login.password, db,
    shareGroup: broker.kind === "mosquitto" ? "fleet-history" : null, rollupFlushMs: 5000, log }).catch((e) => { release(); throw e; });
  return { ...h, stop: () => h.stop().then(release) };
}

/** A pid file in `dir`; null when a live process holds it. */
function takeDirLock(dir: string): (() => void) | null {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "fleet-history.pid");
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, "utf8"));
    let alive = false;
    try { alive = Number.isInteger(pid) && pid > 0 && pid !== process.pid && (process.kill(pid, 0), true); } catch { alive = false; }
    if (alive) return null;
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}
