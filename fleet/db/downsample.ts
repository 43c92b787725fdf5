// Hourly rollups from the minute rows. An hour is rolled up once it has been over for a few
// minutes; the hour before is done again in the same pass (a collector writes its minute rows up to
// about a minute late, after a restart later still), and each pass replaces what it computes, so
// running it twice, or from two collectors, gives the same rows. link_hours is complete up to
// rollup_progress.done_until; readers take minutes from there on.
import type { Sql } from "./sql";

const HOUR = 3600000;
const SETTLE_MS = 5 * 60000;
const MAX_HOURS_PER_PASS = 48;
const LOCK_KEY = 7230415;
const BIN = (col: string) => `date_bin('1 hour', ${col}, timestamptz '2000-01-01 00:00:00+00')`;

/** One pass; returns the hours rolled up (0 when another collector holds the job or nothing is due). */
export async function rollUpHours(db: Sql, now = Date.now()): Promise<number> {
  return db.transaction(async (q) => {
    const [lock] = await q.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS ok", [LOCK_KEY]);
    if (!lock.ok) return 0;
    const until = Math.floor((now - SETTLE_MS) / HOUR) * HOUR;
    const [p] = await q.query<{ done: number | null; first: number | null }>(`
      SELECT (SELECT (extract(epoch FROM done_until) * 1000)::float8 FROM rollup_progress WHERE name = 'link_hours') AS done,
        (SELECT (extract(epoch FROM min(minute)) * 1000)::float8 FROM link_minutes) AS first`);
    if (p.first === null && p.done === null) return 0;
    const start = p.done !== null ? p.done - HOUR : Math.floor((p.first as number) / HOUR) * HOUR;
    const end = Math.min(until, start + MAX_HOURS_PER_PASS * HOUR);
    if (end <= start) return 0;
    await q.query(`
      INSERT INTO link_hours (router_id, link, hour, samples, rtt_sum, rtt_max, loss_sum, loss_max, jitter_sum, up, degraded, down, active)
      SELECT router_id, link, ${BIN("minute")}, sum(samples), sum(rtt_sum), max(rtt_max), sum(loss_sum), max(loss_max), sum(jitter_sum),
        sum(up), sum(degraded), sum(down), sum(active)
      FROM link_minutes WHERE minute >= to_timestamp($1::float8 / 1000) AND minute < to_timestamp($2::float8 / 1000)
      GROUP BY router_id, link, 3
      ON CONFLICT (router_id, link, hour) DO UPDATE SET samples = excluded.samples, rtt_sum = excluded.rtt_sum, rtt_max = excluded.rtt_max,
        loss_sum = excluded.loss_sum, loss_max = excluded.loss_max, jitter_sum = excluded.jitter_sum, up = excluded.up,
        degraded = excluded.degraded, down = excluded.down, active = excluded.active`, [start, end]);
    await q.query(`
      INSERT INTO rollup_progress (name, done_until) VALUES ('link_hours', to_timestamp($1::float8 / 1000))
      ON CONFLICT (name) DO UPDATE SET done_until = greatest(rollup_progress.done_until, excluded.done_until)`, [end]);
    return (end - start) / HOUR;
  });
}
