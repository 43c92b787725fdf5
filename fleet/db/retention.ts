// The retention job: delete what is older than its keep time, in chunks so no statement holds
// locks for long. Collectors all run it (after the hourly rollup); an advisory lock lets one at a
// time do the work.
import type { Sql } from "./sql";
import { rollUpHours } from "./downsample";

export interface Retention {
  /** Events (failovers, link states, reboots, presence, rejected input). Default 90 days. */
  eventsDays: number;
  /** Per-minute link rollups. Default 2 days: the day chart (5-minute points) and a day's margin. */
  minutesDays: number;
  /** Hourly link rollups (the week chart, and longer looks back). Default 90 days. */
  hoursDays: number;
}

export const DEFAULT_RETENTION: Retention = { eventsDays: 90, minutesDays: 2, hoursDays: 90 };
const LOCK_KEY = 7230414;
const CHUNK = 20000;

/**
 * One pass: each chunk is its own statement (its own transaction), so locks are short. A chunk
 * deletes only while its statement holds the advisory lock: collectors running it at once do not
 * delete the same rows twice over.
 */
export async function applyRetention(db: Sql, r: Retention = DEFAULT_RETENTION, now = Date.now()): Promise<{ events: number; minutes: number; hours: number }> {
  const del = (table: string, col: string, before: number) => () => db.query(`
    WITH l AS (SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS ok)
    DELETE FROM ${table} WHERE (SELECT ok FROM l)
      AND ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${col} < to_timestamp($1::float8 / 1000) LIMIT ${CHUNK}))
    RETURNING 1`, [before]);
  const events = await chunked(del("events", "received_at", now - r.eventsDays * 86400000));
  // Minutes not yet rolled up into hours stay, whatever their age (a stalled job loses nothing).
  const [p] = await db.query<{ done: number | null }>("SELECT (extract(epoch FROM done_until) * 1000)::float8 AS done FROM rollup_progress WHERE name = 'link_hours'");
  const minutesBefore = Math.min(now - r.minutesDays * 86400000, p?.done ?? -Infinity);
  const minutes = Number.isFinite(minutesBefore) ? await chunked(del("link_minutes", "minute", minutesBefore)) : 0;
  const hours = await chunked(del("link_hours", "hour", now - r.hoursDays * 86400000));
  return { events, minutes, hours };
}

async function chunked(del: () => Promise<unknown[]>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = (await del()).length;
    total += n;
    if (n < CHUNK) return total;
  }
}

/** Every `everyMs` (default 10 minutes): roll finished hours up, then apply retention; until stopped. */
export function scheduleRetention(db: Sql, r: Retention, log: (s: string) => void, everyMs = 600000): () => void {
  const run = () => rollUpHours(db).then(() => applyRetention(db, r)).then((n) => {
    if (n.events || n.minutes || n.hours) log(`retention: deleted ${n.events} events (> ${r.eventsDays} d), ${n.minutes} link-minutes (> ${r.minutesDays} d), ${n.hours} link-hours (> ${r.hoursDays} d)`);
  }, (e: Error) => log(`retention: ${e.message}`));
  const first = setTimeout(run, 10000);
  const timer = setInterval(run, everyMs);
  timer.unref();
  first.unref();
  return () => { clearTimeout(first); clearInterval(timer); };
}
