// Fleet history in one call: open the database (PostgreSQL URL, or a PGlite directory), apply the
// migrations, start a collector on the broker, keep the retention job running, and hand back the
// HTTP handler for /api/history and /metrics. `npm start` calls this beside its broker; the
// standalone collector (fleet/cli/collector.ts) calls it with a PostgreSQL URL.
import { openDatabase, type Sql } from "./db/sql";
import { migrate } from "./db/migrate";
import { DEFAULT_RETENTION, scheduleRetention, type Retention } from "./db/retention";
import { Collector } from "./collector/collector";
import { CollectorMetrics, FleetGauges, renderMetrics } from "./api/metrics";
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
    shareGroup: o.shareGroup, db, metrics, log, flushMs: o.flushMs, mqtt: o.mqtt });
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
  return {
    db, collector, handler,
    async stop() {
      stopRetention();
      await collector.stop();
      await db.close();
    },
  };
}
