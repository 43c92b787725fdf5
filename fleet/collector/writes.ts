// The collector's writes. Every statement is idempotent under redelivery: events are inserted
// once by (router, dedupe key); router rows take a value only from a newer report (device time
// for the active link and the boot, receive time for online/offline); rollups add sums.
import type { Queryable } from "../db/sql";
import type { EventRow } from "./event-row";
import type { LinkMinute, RouterSeen } from "./rollup";

const EVENT_COLUMNS = "router_id, dedupe_key, type, at, received_at, epoch, seq, at_ms, link, link_kind, from_link, to_link, reason, detail, boot_id";

function eventParams(e: EventRow): unknown[] {
  return [e.router, e.key, e.type, e.receivedAt, e.epoch, e.seq, e.atMs, e.link, e.linkKind, e.from, e.to, e.reason, e.detail, e.bootId];
}

// $1 router, $2 key, $3 type, $4 received (ms), $5 epoch, $6 seq, $7 atMs, $8 link, $9 kind, $10 from, $11 to, $12 reason, $13 detail, $14 boot id.
// `at` maps the device clock to wall time when the boot's clock zero is known (from heartbeats),
// never later than the receive time and at most 30 days before it (a queued event replayed late).
const INSERT_EVENT = `
  INSERT INTO events (${EVENT_COLUMNS})
  SELECT $1::text, $2::text, $3::text,
    least(t.rcv, greatest(t.rcv - interval '30 days',
      coalesce(CASE WHEN r.clock_epoch = $5::int AND r.clock_boot_id IS NOT DISTINCT FROM $14::text THEN r.clock_zero_at + make_interval(secs => $7::float8 / 1000) END, t.rcv))),
    t.rcv, $5::int, $6::smallint, $7::float8, $8::text, $9::text, $10::text, $11::text, $12::text, $13::text, $14::text
  FROM (SELECT to_timestamp($4::float8 / 1000) AS rcv) t
  LEFT JOIN routers r ON r.id = $1::text
  ON CONFLICT (router_id, dedupe_key) DO NOTHING
  RETURNING type`;

/** A router event; a switch also moves the router's active link if it is newer than what set it. True when stored now (not a duplicate). */
export async function writeRouterEvent(q: Queryable, e: EventRow, switchTo: string | null): Promise<boolean> {
  if (switchTo === null) return (await q.query(INSERT_EVENT, eventParams(e))).length > 0;
  const rows = await q.query(`
    WITH ins AS (${INSERT_EVENT}),
    up AS (
      INSERT INTO routers (id, active, active_epoch, active_ms) VALUES ($1::text, $15::text, $5::int, $7::float8)
      ON CONFLICT (id) DO UPDATE SET active = excluded.active, active_epoch = excluded.active_epoch, active_ms = excluded.active_ms
      -- An event of another boot than the router's current one (a queued event replayed after a
      -- reboot) never moves the active link: its (epoch, atMs) says nothing about the current boot's.
      WHERE (routers.boot_id IS NULL OR routers.boot_id IS NOT DISTINCT FROM $14::text)
        AND (routers.active_epoch IS NULL OR (excluded.active_epoch, excluded.active_ms) > (routers.active_epoch, routers.active_ms)))
    SELECT type FROM ins`, [...eventParams(e), switchTo]);
  return rows.length > 0;
}

/** A birth: an 'online' event, and the router's boot, firmware and config if newer. */
export async function writeBirth(q: Queryable, e: EventRow, birthSeq: number, firmware: string, configVersion: number): Promise<boolean> {
  const rows = await q.query(`
    WITH ins AS (${INSERT_EVENT}),
    up AS (
      INSERT INTO routers (id, online, online_at, epoch, birth_seq, firmware, config_version, boot_id)
      VALUES ($1::text, true, to_timestamp($4::float8 / 1000), $5::int, $15::int, $16::text, $17::int, $14::text)
      ON CONFLICT (id) DO UPDATE SET
        online = CASE WHEN routers.online_at IS NULL OR excluded.online_at >= routers.online_at THEN true ELSE routers.online END,
        online_at = greatest(routers.online_at, excluded.online_at),
        epoch = CASE WHEN ${newerBirth} THEN excluded.epoch ELSE routers.epoch END,
        birth_seq = CASE WHEN ${newerBirth} THEN excluded.birth_seq ELSE routers.birth_seq END,
        firmware = CASE WHEN ${newerBirth} THEN excluded.firmware ELSE routers.firmware END,
        config_version = CASE WHEN ${newerBirth} THEN excluded.config_version ELSE routers.config_version END,
        -- A new boot: the active link's (epoch, uptime) mark belonged to the last one.
        active_epoch = CASE WHEN ${newerBirth} AND routers.boot_id IS DISTINCT FROM excluded.boot_id THEN NULL ELSE routers.active_epoch END,
        active_ms = CASE WHEN ${newerBirth} AND routers.boot_id IS DISTINCT FROM excluded.boot_id THEN NULL ELSE routers.active_ms END,
        boot_id = CASE WHEN ${newerBirth} THEN excluded.boot_id ELSE routers.boot_id END)
    SELECT type FROM ins`, [...eventParams(e), birthSeq, firmware, configVersion]);
  return rows.length > 0;
}
// Within a boot, (epoch, birthSeq) orders births; across boots the epoch may have started over
// (an erased store), so the later receive time wins.
const newerBirth = `(routers.epoch IS NULL OR CASE WHEN routers.boot_id IS DISTINCT FROM excluded.boot_id
  THEN routers.online_at IS NULL OR excluded.online_at >= routers.online_at
  ELSE (excluded.epoch, excluded.birth_seq) >= (routers.epoch, routers.birth_seq) END)`;

/**
 * A retained state report. Online only updates the router; offline (the will, or a clean stop)
 * is also an event, keyed by the session it ends (the router's last birth), so a redelivered
 * will is stored once (`asEvent` false: a retained state replayed on subscribe, no event).
 * Returns whether an offline event was stored now.
 */
export async function writeState(q: Queryable, router: string, online: boolean, receivedAt: number, asEvent: boolean): Promise<boolean> {
  const upsert = `
    INSERT INTO routers (id, online, online_at) VALUES ($1::text, $2::boolean, to_timestamp($3::float8 / 1000))
    ON CONFLICT (id) DO UPDATE SET
      online = CASE WHEN routers.online_at IS NULL OR excluded.online_at >= routers.online_at THEN excluded.online ELSE routers.online END,
      online_at = greatest(routers.online_at, excluded.online_at)`;
  if (online || !asEvent) {
    await q.query(upsert, [router, online, receivedAt]);
    return false;
  }
  const rows = await q.query(`
    WITH ins AS (
      INSERT INTO events (router_id, dedupe_key, type, at, received_at, epoch)
      SELECT $1::text, 'o/' || coalesce(r.boot_id || '/', '') || coalesce(r.epoch, 0) || '/' || coalesce(r.birth_seq, 0), 'offline', t.rcv, t.rcv, r.epoch
      FROM (SELECT to_timestamp($3::float8 / 1000) AS rcv) t LEFT JOIN routers r ON r.id = $1::text
      ON CONFLICT (router_id, dedupe_key) DO NOTHING
      RETURNING type),
    up AS (${upsert})
    SELECT type FROM ins`, [router, false, receivedAt]);
  return rows.length > 0;
}

/**
 * One flush of heartbeat rollups, the routers they came from, rejected input, and what each router
 * sent over its quotas (`dropped`, added to its row), in one transaction.
 */
export async function writeBatch(q: Queryable, minutes: readonly LinkMinute[], routers: readonly RouterSeen[], rejected: readonly EventRow[],
  dropped: ReadonlyMap<string, number> = new Map()): Promise<number> {
  if (minutes.length) {
    await q.query(`
      INSERT INTO link_minutes (router_id, link, minute, samples, rtt_sum, rtt_max, loss_sum, loss_max, jitter_sum, up, degraded, down, active)
      SELECT u.r, u.l, to_timestamp(u.m / 1000), u.n, u.rs, u.rx, u.ls, u.lx, u.js, u.up, u.dg, u.dn, u.ac
      FROM unnest($1::text[], $2::text[], $3::float8[], $4::int[], $5::real[], $6::real[], $7::real[], $8::real[], $9::real[],
                  $10::int[], $11::int[], $12::int[], $13::int[]) AS u(r, l, m, n, rs, rx, ls, lx, js, up, dg, dn, ac)
      ON CONFLICT (router_id, link, minute) DO UPDATE SET
        samples = link_minutes.samples + excluded.samples,
        rtt_sum = link_minutes.rtt_sum + excluded.rtt_sum, rtt_max = greatest(link_minutes.rtt_max, excluded.rtt_max),
        loss_sum = link_minutes.loss_sum + excluded.loss_sum, loss_max = greatest(link_minutes.loss_max, excluded.loss_max),
        jitter_sum = link_minutes.jitter_sum + excluded.jitter_sum,
        up = link_minutes.up + excluded.up, degraded = link_minutes.degraded + excluded.degraded,
        down = link_minutes.down + excluded.down, active = link_minutes.active + excluded.active`,
      [minutes.map((m) => m.router), minutes.map((m) => m.link), minutes.map((m) => m.minute), minutes.map((m) => m.samples),
        minutes.map((m) => m.rttSum), minutes.map((m) => m.rttMax), minutes.map((m) => m.lossSum), minutes.map((m) => m.lossMax),
        minutes.map((m) => m.jitterSum), minutes.map((m) => m.up), minutes.map((m) => m.degraded), minutes.map((m) => m.down),
        minutes.map((m) => m.active)]);
  }
  if (routers.length) {
    await q.query(`
      INSERT INTO routers (id, online, online_at, last_heartbeat_at, active, primary_link, active_epoch, active_ms, config_version, clock_epoch, clock_zero_at,
        boot_id, clock_boot_id)
      SELECT u.r, true, to_timestamp(u.at / 1000), to_timestamp(u.at / 1000), u.a, u.p, u.e, u.up, u.cv, u.e, to_timestamp(u.z / 1000), u.b, u.b
      FROM unnest($1::text[], $2::float8[], $3::text[], $4::text[], $5::int[], $6::float8[], $7::int[], $8::float8[], $9::text[])
        AS u(r, at, a, p, e, up, cv, z, b)
      ON CONFLICT (id) DO UPDATE SET
        last_heartbeat_at = greatest(routers.last_heartbeat_at, excluded.last_heartbeat_at),
        online = CASE WHEN routers.online_at IS NULL OR excluded.online_at >= routers.online_at THEN true ELSE routers.online END,
        online_at = greatest(routers.online_at, excluded.online_at),
        active = CASE WHEN ${newerMark} THEN excluded.active ELSE routers.active END,
        primary_link = CASE WHEN ${newerMark} THEN excluded.primary_link ELSE routers.primary_link END,
        config_version = CASE WHEN ${newerMark} THEN excluded.config_version ELSE routers.config_version END,
        active_ms = CASE WHEN ${newerMark} THEN excluded.active_ms ELSE routers.active_ms END,
        active_epoch = CASE WHEN ${newerMark} THEN excluded.active_epoch ELSE routers.active_epoch END,
        boot_id = CASE WHEN ${newerMark} THEN excluded.boot_id ELSE routers.boot_id END,
        clock_zero_at = CASE WHEN ${newerClock} THEN excluded.clock_zero_at
          WHEN excluded.clock_epoch = routers.clock_epoch AND excluded.clock_boot_id IS NOT DISTINCT FROM routers.clock_boot_id
            THEN least(routers.clock_zero_at, excluded.clock_zero_at)
          ELSE routers.clock_zero_at END,
        clock_epoch = CASE WHEN ${newerClock} THEN excluded.clock_epoch ELSE routers.clock_epoch END,
        clock_boot_id = CASE WHEN ${newerClock} THEN excluded.clock_boot_id ELSE routers.clock_boot_id END`,
      [routers.map((r) => r.router), routers.map((r) => r.lastAt), routers.map((r) => r.active), routers.map((r) => r.primary),
        routers.map((r) => r.epoch), routers.map((r) => r.uptimeMs), routers.map((r) => r.configVersion), routers.map((r) => r.clockZeroAt),
        routers.map((r) => r.bootId)]);
  }
  let stored = 0;
  if (rejected.length) {
    const rows = await q.query<{ router_id: string }>(`
      INSERT INTO events (router_id, dedupe_key, type, at, received_at, reason, detail)
      SELECT u.r, u.k, 'rejected', to_timestamp(u.at / 1000), to_timestamp(u.at / 1000), u.re, u.d
      FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::text[]) AS u(r, k, at, re, d)
      ON CONFLICT (router_id, dedupe_key) DO NOTHING
      RETURNING router_id`,
      [rejected.map((e) => e.router), rejected.map((e) => e.key), rejected.map((e) => e.receivedAt), rejected.map((e) => e.reason), rejected.map((e) => e.detail)]);
    stored = rows.length;
    const per = new Map<string, number>();
    for (const r of rows) per.set(r.router_id, (per.get(r.router_id) ?? 0) + 1);
    const ids = [...per.keys()].sort();
    if (ids.length) await q.query(`
      INSERT INTO routers (id, rejected) SELECT * FROM unnest($1::text[], $2::int[])
      ON CONFLICT (id) DO UPDATE SET rejected = routers.rejected + excluded.rejected`, [ids, ids.map((i) => per.get(i))]);
  }
  if (dropped.size) {
    const ids = [...dropped.keys()].sort();
    await q.query(`
      INSERT INTO routers (id, dropped) SELECT * FROM unnest($1::text[], $2::bigint[])
      ON CONFLICT (id) DO UPDATE SET dropped = routers.dropped + excluded.dropped`, [ids, ids.map((i) => dropped.get(i))]);
  }
  return stored;
}
// A heartbeat of the router's current boot is newer by device time; one of another boot by
// receive time (the epoch may have started over).
const newerMark = `(routers.active_epoch IS NULL OR CASE WHEN routers.boot_id IS DISTINCT FROM excluded.boot_id
  THEN routers.last_heartbeat_at IS NULL OR excluded.last_heartbeat_at >= routers.last_heartbeat_at
  ELSE (excluded.active_epoch, excluded.active_ms) >= (routers.active_epoch, routers.active_ms) END)`;
// The boot whose clock zero maps device times to wall time: within a boot the higher epoch; across
// boots the later zero (a boot that started later).
const newerClock = `(routers.clock_epoch IS NULL OR CASE WHEN routers.clock_boot_id IS DISTINCT FROM excluded.clock_boot_id
  THEN excluded.clock_zero_at > routers.clock_zero_at ELSE excluded.clock_epoch > routers.clock_epoch END)`;
