// The retention job: delete what is older than its keep time, in chunks so no statement holds
// locks for long. Collectors all run it; an advisory lock lets one at a time do the work.
import type { Sql } from "./sql";

export interface Retention {
  /** Events (failovers, link states, reboots, presence, rejected input). Default 90 days. */
  eventsDays: number;
  /** Per-minute link rollups. Default 8 days: the week chart and a day's margin. */
  minutesDays: number;
}

export const DEFAULT_RETENTION: Retention = { eventsDays: 90, minutesDays: 8 };
const LOCK_KEY = 7230414;
const CHUNK = 20000;

/**
 * One pass: each chunk is its own statement (its own transaction), so locks are short. A chunk
 * deletes only while its statement holds the advisory lock: collectors running it at once do not
 * delete the same rows twice over.
 */
export async function applyRetention(db: Sql, r: Retention = DEFAULT_RETENTION, now = Date.now()): Promise<{ events: number; minutes: number }> {
  const del = (table: string, col: string, before: number) => () => db.query(`
    WITH l AS (SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS ok)
    DELETE FROM ${table} WHERE (SELECT ok FROM l)
      AND ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${col} < to_timestamp($1::float8 / 1000) LIMIT ${CHUNK}))
    RETURNING 1`, [before]);
  const events = await chunked(del("events", "received_at", now - r.eventsDays * 86400000));
  const minutes = await chunked(del("link_minutes", "minute", now - r.minutesDays * 86400000));
  return { events, minutes };
}

async function chunked(del: () => Promise<unknown[]>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = (await del()).length;
    total += n;
    if (n < CHUNK) return total;
  }
}

/** Run `applyRetention` every `everyMs` (default hourly) until stopped. */
export function scheduleRetention(db: Sql, r: Retention, log: (s: string) => void, everyMs = 3600000): () => void {
  const run = () => applyRetention(db, r).then((n) => {
    if (n.events || n.minutes) log(`retention: deleted ${n.events} events older than ${r.eventsDays} d, ${n.minutes} link-minutes older than ${r.minutesDays} d`);
  }, (e: Error) => log(`retention: ${e.message}`));
  const first = setTimeout(run, 10000);
  const timer = setInterval(run, everyMs);
  timer.unref();
  first.unref();
  return () => { clearTimeout(first); clearInterval(timer); };
}
