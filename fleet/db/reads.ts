// The history the API serves, read from the collectors' tables. Times in and out are epoch ms.
import type { Queryable } from "./sql";

export interface RouterSummary {
  id: string; online: boolean | null; active: string | null; primaryLink: string | null; epoch: number | null;
  firmware: string | null; configVersion: number | null; lastHeartbeatAt: number | null; firstSeenAt: number; rejected: number;
}

export interface TimelineEvent {
  at: number; receivedAt: number; type: string; epoch: number | null; seq: number | null;
  link: string | null; from: string | null; to: string | null; reason: string | null; detail: string | null;
}

/** Figures of one bucket; `up`, `degraded`, `down`, `active`: heartbeat samples in that state (availability is up / samples). */
export interface LinkPoint { t: number; samples: number; rttMs: number; rttMaxMs: number; lossPct: number; lossMaxPct: number; jitterMs: number; up: number; down: number; degraded: number; active: number }
export interface LinkSeries { name: string; kind: string; points: LinkPoint[] }

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;
const BIN = (col: string, param: string) => `date_bin(make_interval(secs => ${param}::int), ${col}, timestamptz '2000-01-01 00:00:00+00')`;

export async function routerSummary(q: Queryable, id: string): Promise<RouterSummary | null> {
  const [r] = await q.query<RouterSummary>(`
    SELECT id, online, active, primary_link AS "primaryLink", epoch, firmware, config_version AS "configVersion",
      ${ms("last_heartbeat_at")} AS "lastHeartbeatAt", ${ms("first_seen_at")} AS "firstSeenAt", rejected
    FROM routers WHERE id = $1`, [id]);
  return r ?? null;
}

/** Every router the fleet has seen (up to `limit`, by id), with its site and tags: what a page opened now shows before the live stream speaks. */
export async function fleetRouters(q: Queryable, limit: number): Promise<Array<RouterSummary & { site: string | null; tags: string[] }>> {
  return q.query(`
    SELECT id, online, active, primary_link AS "primaryLink", epoch, firmware, config_version AS "configVersion",
      ${ms("last_heartbeat_at")} AS "lastHeartbeatAt", ${ms("first_seen_at")} AS "firstSeenAt", rejected,
      l.site, coalesce(l.tags, '{}') AS tags
    FROM routers LEFT JOIN router_labels l ON l.router_id = routers.id ORDER BY id LIMIT $1`, [limit]);
}

/** A router's events in [from, to), newest first. */
export async function timeline(q: Queryable, id: string, from: number, to: number, limit: number): Promise<TimelineEvent[]> {
  return q.query<TimelineEvent>(`
    SELECT ${ms("at")} AS at, ${ms("received_at")} AS "receivedAt", type, epoch, seq, link, from_link AS "from", to_link AS "to", reason, detail
    FROM events WHERE router_id = $1 AND at >= to_timestamp($2::float8 / 1000) AND at < to_timestamp($3::float8 / 1000)
    ORDER BY at DESC, epoch DESC NULLS LAST, at_ms DESC NULLS LAST LIMIT $4`, [id, from, to, limit]);
}

const FIGURES = "samples, rtt_sum, rtt_max, loss_sum, loss_max, jitter_sum, up, down, degraded, active";

/**
 * RTT, loss and jitter per link of one router in buckets of `bucketS` seconds (means weighted by
 * samples, maxima of the minute maxima). Buckets of whole hours read the hourly rollups up to where
 * they are complete, and minutes after that; shorter buckets read minutes.
 */
export async function linkSeries(q: Queryable, id: string, from: number, to: number, bucketS: number, maxLinks: number, kindOf: (name: string) => string): Promise<LinkSeries[]> {
  const source = bucketS % 3600 === 0 ? `(
      SELECT link, hour AS ts, ${FIGURES} FROM link_hours WHERE router_id = $1 AND hour >= to_timestamp($2::float8 / 1000)
        AND hour < least(to_timestamp($3::float8 / 1000), (SELECT coalesce(max(done_until), '-infinity') FROM rollup_progress WHERE name = 'link_hours'))
      UNION ALL
      SELECT link, minute, ${FIGURES} FROM link_minutes WHERE router_id = $1 AND minute < to_timestamp($3::float8 / 1000)
        AND minute >= greatest(to_timestamp($2::float8 / 1000), (SELECT coalesce(max(done_until), '-infinity') FROM rollup_progress WHERE name = 'link_hours'))
    ) x` : `(
      SELECT link, minute AS ts, ${FIGURES} FROM link_minutes
      WHERE router_id = $1 AND minute >= to_timestamp($2::float8 / 1000) AND minute < to_timestamp($3::float8 / 1000)
    ) x`;
  const rows = await q.query<LinkPoint & { link: string }>(`
    SELECT link, ${ms(BIN("ts", "$4"))} AS t, sum(samples)::int AS samples,
      (sum(rtt_sum) / sum(samples))::float8 AS "rttMs", max(rtt_max)::float8 AS "rttMaxMs",
      (sum(loss_sum) / sum(samples))::float8 AS "lossPct", max(loss_max)::float8 AS "lossMaxPct",
      (sum(jitter_sum) / sum(samples))::float8 AS "jitterMs",
      sum(up)::int AS up, sum(down)::int AS down, sum(degraded)::int AS degraded, sum(active)::int AS active
    FROM ${source}
    GROUP BY link, 2 HAVING sum(samples) > 0 ORDER BY link, 2`, [id, from, to, bucketS]);
  const out = new Map<string, LinkSeries>();
  for (const r of rows) {
    let s = out.get(r.link);
    if (!s) {
      if (out.size >= maxLinks) continue;
      s = { name: r.link, kind: kindOf(r.link), points: [] };
      out.set(r.link, s);
    }
    const { link: _, ...p } = r;
    s.points.push(p);
  }
  return [...out.values()];
}

/** Failovers across the fleet per bucket: how many, and how many routers they came from. */
export async function fleetFailovers(q: Queryable, from: number, to: number, bucketS: number): Promise<Array<{ t: number; failovers: number; routers: number }>> {
  return q.query(`
    SELECT ${ms(BIN("at", "$3"))} AS t, count(*)::int AS failovers, count(DISTINCT router_id)::int AS routers
    FROM events WHERE type = 'failover' AND at >= to_timestamp($1::float8 / 1000) AND at < to_timestamp($2::float8 / 1000)
    GROUP BY 1 ORDER BY 1`, [from, to, bucketS]);
}

/** Routers with the most switches (failovers and failbacks) in [from, to). */
export async function topSwitchers(q: Queryable, from: number, to: number, limit: number): Promise<Array<{ id: string; switches: number; failovers: number; lastAt: number }>> {
  return q.query(`
    SELECT router_id AS id, count(*)::int AS switches, count(*) FILTER (WHERE type = 'failover')::int AS failovers, ${ms("max(at)")} AS "lastAt"
    FROM events WHERE type IN ('failover', 'failback') AND at >= to_timestamp($1::float8 / 1000) AND at < to_timestamp($2::float8 / 1000)
    GROUP BY router_id ORDER BY switches DESC, id LIMIT $3`, [from, to, limit]);
}

/** What the fleet did in [from, to), newest first: switches and presence of every router (the fleet timeline). */
export const FLEET_TIMELINE_TYPES = ["failover", "failback", "no-uplink", "offline", "online", "boot"] as const;
export async function fleetTimeline(q: Queryable, from: number, to: number, limit: number): Promise<Array<TimelineEvent & { router: string }>> {
  return q.query(`
    SELECT router_id AS router, ${ms("at")} AS at, ${ms("received_at")} AS "receivedAt", type, epoch, seq, link, from_link AS "from", to_link AS "to", reason, detail
    FROM events WHERE type = ANY($3::text[]) AND at >= to_timestamp($1::float8 / 1000) AND at < to_timestamp($2::float8 / 1000)
    ORDER BY at DESC, router_id LIMIT $4`, [from, to, [...FLEET_TIMELINE_TYPES], limit]);
}
