// The history store on a real PostgreSQL (a throwaway cluster), and the same statements on the
// embedded PGlite: migrations, exactly-once events, rollups that add up across collectors,
// newest-report-wins router state, presence per session, retention, and the API over it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { startPostgres, postgresBin, type PostgresServer } from "../../testing/postgres-server";
import { openDatabase, type Sql } from "../db/sql";
import { migrate, migrationFiles } from "../db/migrate";
import { writeBatch, writeBirth, writeRouterEvent, writeState } from "../collector/writes";
import { applyRetention } from "../db/retention";
import { rollUpHours } from "../db/downsample";
import { linkSeries } from "../db/reads";
import { birthRow, rejectedRow, routerEventRow } from "../collector/event-row";
import { MinuteRollups } from "../collector/rollup";
import { decode, type Heartbeat } from "../collector/decode";
import { historyApi } from "../api/history-api";
import { FleetGauges, renderMetrics } from "../collector/metrics";

let pg: PostgresServer | null = null;
let n = 0;

before(async () => {
  if (postgresBin()) pg = await startPostgres();
  else if (process.env.CI === "true") throw new Error("CI=true but PostgreSQL is not installed (apt-get install postgresql)");
});
after(async () => { await pg?.stop(); });

/** A fresh migrated database on PostgreSQL, or (engine "pglite") in memory. */
async function fresh(engine: "postgres" | "pglite" = "postgres"): Promise<Sql> {
  const db = engine === "pglite" ? await openDatabase("memory:") : await openDatabase(await (pg as PostgresServer).createDatabase(`t${++n}`));
  await migrate(db);
  return db;
}

function skipWithoutPg(t: { skip(m: string): void }): boolean {
  if (pg) return false;
  t.skip("PostgreSQL not installed (apt-get install postgresql): history store tests on PostgreSQL skipped");
  return true;
}

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  seq: 1, epoch: 1, uptimeMs: 60000, active: "wan0", configVersion: 1, ...over,
  links: over.links ?? [
    { name: "wan0", state: "up", rttMs: 10, lossPct: 0, jitterMs: 1 },
    { name: "lte0", state: "up", rttMs: 60, lossPct: 2, jitterMs: 9 },
  ],
});
const failover = (epoch: number, seq: number, atMs: number, from = "wan0", to = "lte0") =>
  ({ epoch, seq, atMs, type: "failover", from, to, reason: "wan0 down" });

async function storeEvent(db: Sql, router: string, e: ReturnType<typeof failover>, at: number): Promise<boolean> {
  const row = routerEventRow(router, e, at);
  return writeRouterEvent(db, row, row.to);
}

test("migrations: applied once, in order, recorded; a second run applies nothing", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await openDatabase(await (pg as PostgresServer).createDatabase("mig"));
  try {
    // Three collectors starting together: the advisory lock lets one apply, the others find it done.
    const runs = await Promise.all([migrate(db), migrate(db), migrate(db)]);
    assert.deepEqual(runs.flat(), migrationFiles());
    assert.deepEqual(await migrate(db), []);
    const rows = await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
    assert.deepEqual(rows.map((r) => r.name), migrationFiles());
  } finally { await db.close(); }
});

test("events: a redelivered event is stored once; the same seq after the 256 wrap is a new event", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try {
    assert.equal(await storeEvent(db, "r1", failover(3, 7, 1000), T0), true);
    assert.equal(await storeEvent(db, "r1", failover(3, 7, 1000), T0 + 50), false, "QoS 1 redelivery");
    assert.equal(await storeEvent(db, "r1", failover(3, 7, 900000, "lte0", "wan0"), T0 + 900000), true, "seq 7 again, 256 events later");
    assert.equal(await storeEvent(db, "r1", failover(4, 7, 1000), T0 + 999999), true, "another boot");
    assert.equal(await storeEvent(db, "r2", failover(3, 7, 1000), T0), true, "another router");
    const [c] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    assert.equal(c.n, 4);
  } finally { await db.close(); }
});

test("events: device time maps to wall time once a heartbeat fixed the boot's clock; a replayed event keeps when it happened", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try {
    const r = new MinuteRollups();
    r.add("r1", hb({ epoch: 2, uptimeMs: 100000 }), T0 + 100000); // clock zero at T0
    const b = r.take();
    await db.transaction((q) => writeBatch(q, b.minutes, b.routers, []));
    // Queued on the router while its uplink was down, delivered 5 minutes after it happened.
    await storeEvent(db, "r1", failover(2, 1, 200000), T0 + 500000);
    await storeEvent(db, "r1", failover(9, 1, 5000), T0 + 600000); // a boot whose clock is unknown: receive time
    const rows = await db.query<{ epoch: number; at: number; rcv: number }>(
      "SELECT epoch, (extract(epoch FROM at) * 1000)::float8 AS at, (extract(epoch FROM received_at) * 1000)::float8 AS rcv FROM events ORDER BY epoch");
    assert.equal(rows[0].at, T0 + 200000);
    assert.equal(rows[0].rcv, T0 + 500000);
    assert.equal(rows[1].at, T0 + 600000);
  } finally { await db.close(); }
});

test("routers: the newest report sets the active link, in whatever order collectors write them", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try {
    // Failover at device time 5000 and a heartbeat from before it (4000, still on wan0) written after it.
    await storeEvent(db, "r1", failover(1, 1, 5000), T0 + 5000);
    const r = new MinuteRollups();
    r.add("r1", hb({ uptimeMs: 4000, active: "wan0" }), T0 + 4000);
    const b = r.take();
    await db.transaction((q) => writeBatch(q, b.minutes, b.routers, []));
    let [row] = await db.query<{ active: string; primary_link: string; online: boolean }>("SELECT active, primary_link, online FROM routers WHERE id = 'r1'");
    assert.equal(row.active, "lte0", "an older heartbeat does not undo the failover");
    assert.equal(row.online, true);
    // A later heartbeat (after a failback) wins.
    r.add("r1", hb({ uptimeMs: 9000, active: "wan0" }), T0 + 9000);
    const b2 = r.take();
    await db.transaction((q) => writeBatch(q, b2.minutes, b2.routers, []));
    [row] = await db.query("SELECT active, primary_link, online FROM routers WHERE id = 'r1'");
    assert.equal(row.active, "wan0");
    assert.equal(row.primary_link, "wan0");
  } finally { await db.close(); }
});

test("presence: a birth is an online event, the will an offline event per session, each stored once; a stale report does not flip the state", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try {
    const birth = { firmware: "1.0", configVersion: 3, safeMode: false, boots: 5, epoch: 5, birthSeq: 0, links: ["wan0"] };
    assert.equal(await writeBirth(db, birthRow("r1", birth, T0), 0, "1.0", 3), true);
    assert.equal(await writeBirth(db, birthRow("r1", birth, T0 + 10), 0, "1.0", 3), false, "redelivered birth");
    assert.equal(await writeState(db, "r1", false, T0 + 60000, true), true);
    assert.equal(await writeState(db, "r1", false, T0 + 60010, true), false, "redelivered will: same session");
    // An 'online' state received before the will but written after it changes nothing.
    await writeState(db, "r1", true, T0 + 30000, true);
    let [row] = await db.query<{ online: boolean }>("SELECT online FROM routers WHERE id = 'r1'");
    assert.equal(row.online, false);
    // The next session: birth 1, then its own offline.
    await writeBirth(db, birthRow("r1", { ...birth, birthSeq: 1 }, T0 + 90000), 1, "1.0", 3);
    [row] = await db.query("SELECT online FROM routers WHERE id = 'r1'");
    assert.equal(row.online, true);
    assert.equal(await writeState(db, "r1", false, T0 + 120000, true), true);
    const ev = await db.query<{ type: string; dedupe_key: string }>("SELECT type, dedupe_key FROM events ORDER BY at");
    assert.deepEqual(ev.map((e) => `${e.type} ${e.dedupe_key}`), ["online b/5/0", "offline o/5/0", "online b/5/1", "offline o/5/1"]);
  } finally { await db.close(); }
});

test("rollups: two collectors' sums for the same minute add up; rejected input is stored once and counted on the router", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try {
    const a = new MinuteRollups(), b = new MinuteRollups();
    a.add("r1", hb({ links: [{ name: "wan0", state: "up", rttMs: 10, lossPct: 0, jitterMs: 1 }] }), T0 + 1000);
    a.add("r1", hb({ links: [{ name: "wan0", state: "up", rttMs: 20, lossPct: 10, jitterMs: 3 }] }), T0 + 11000);
    b.add("r1", hb({ links: [{ name: "wan0", state: "down", rttMs: 90, lossPct: 50, jitterMs: 5 }] }), T0 + 21000);
    const bad = decode("routers/r1/heartbeat", new TextEncoder().encode('{"seq":"seven"}'));
    assert.equal(bad.ok, false);
    const rej = rejectedRow({ ...(bad as Extract<typeof bad, { ok: false }>), router: "r1" }, "routers/r1/heartbeat", new TextEncoder().encode('{"seq":"seven"}'), T0);
    const ba = a.take(), bb = b.take();
    await Promise.all([db.transaction((q) => writeBatch(q, ba.minutes, ba.routers, [rej])), db.transaction((q) => writeBatch(q, bb.minutes, bb.routers, [rej]))]);
    const [m] = await db.query<Record<string, number>>("SELECT samples, rtt_sum, rtt_max, loss_max, down, up FROM link_minutes");
    assert.deepEqual({ ...m }, { samples: 3, rtt_sum: 120, rtt_max: 90, loss_max: 50, down: 1, up: 2 });
    const [r] = await db.query<{ rejected: number }>("SELECT rejected FROM routers WHERE id = 'r1'");
    assert.equal(r.rejected, 1);
    const ev = await db.query<{ type: string; reason: string; detail: string }>("SELECT type, reason, detail FROM events");
    assert.equal(ev.length, 1);
    assert.equal(ev[0].reason, "schema");
    assert.match(ev[0].detail, /heartbeat: .*must/);
  } finally { await db.close(); }
});

test("hourly rollups: made from finished hours, idempotent, read with the newer minutes for the week chart without counting twice", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try {
    const hour0 = Math.floor(T0 / 3600000) * 3600000;
    const r = new MinuteRollups();
    // 3 hours and 10 minutes of one heartbeat a minute, RTT = the minute's index.
    for (let i = 0; i < 190; i++) r.add("r1", hb({ uptimeMs: i * 60000, links: [{ name: "wan0", state: "up", rttMs: i, lossPct: 0, jitterMs: 1 }] }), hour0 + i * 60000 + 1000);
    const b = r.take();
    await db.transaction((q) => writeBatch(q, b.minutes, b.routers, []));
    const now = hour0 + 190 * 60000 + 6 * 60000;
    assert.equal(await rollUpHours(db, now), 3);
    assert.equal(await rollUpHours(db, now), 1, "the last hour again, nothing new");
    const hours = await db.query<{ samples: number; rtt_sum: number; rtt_max: number }>("SELECT samples, rtt_sum, rtt_max FROM link_hours ORDER BY hour");
    assert.deepEqual(hours.map((h) => [h.samples, h.rtt_sum, h.rtt_max]), [[60, 1770, 59], [60, 5370, 119], [60, 8970, 179]]);
    const series = await linkSeries(db, "r1", now - 7 * 86400000, now, 3600, 4, () => "ethernet");
    assert.deepEqual(series[0].points.map((p) => p.samples), [60, 60, 60, 10], "three hours from link_hours, the fourth from minutes");
    assert.equal(series[0].points[3].rttMs, 184.5);
  } finally { await db.close(); }
});

test("retention: deletes what is older than its keep time, never minutes not yet rolled up into hours", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try {
    const now = T0 + 100 * 86400000;
    const keep = { eventsDays: 90, minutesDays: 2, hoursDays: 90 };
    await storeEvent(db, "r1", failover(1, 1, 1), now - 91 * 86400000);
    await storeEvent(db, "r1", failover(1, 2, 2), now - 89 * 86400000);
    const r = new MinuteRollups();
    for (const daysAgo of [95, 9, 3, 1, 0.01]) r.add("r1", hb(), now - daysAgo * 86400000);
    const b = r.take();
    await db.transaction((q) => writeBatch(q, b.minutes, b.routers, []));
    assert.deepEqual(await applyRetention(db, keep, now), { events: 1, minutes: 0, hours: 0 }, "no hours rolled up yet: every minute stays");
    while (await rollUpHours(db, now) > 1) { /* catch up 48 hours a pass */ }
    assert.deepEqual(await applyRetention(db, keep, now), { events: 0, minutes: 6, hours: 2 });
    const [c] = await db.query<{ e: number; m: number; h: number }>(
      "SELECT (SELECT count(*) FROM events)::int AS e, (SELECT count(*) FROM link_minutes)::int AS m, (SELECT count(*) FROM link_hours)::int AS h");
    assert.deepEqual({ ...c }, { e: 1, m: 4, h: 6 }, "hours of 9, 3 and 1 days ago (the last 14 minutes are not a finished hour)");
  } finally { await db.close(); }
});

async function serve(db: Sql, now: number): Promise<{ server: Server; get: (p: string) => Promise<{ status: number; body: any; text: string }> }> {
  const gauges = new FleetGauges(db, () => now, 0);
  const h = historyApi({ db: () => db, now: () => now, metrics: async () => { await gauges.refresh(); return renderMetrics([gauges]); } });
  const server = createServer((req, res) => { if (!h(req, res)) { res.writeHead(404); res.end(); } });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    get: async (p) => {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      const text = await res.text();
      let body: unknown = null;
      try { body = JSON.parse(text); } catch { /* not JSON: /metrics */ }
      return { status: res.status, body, text };
    },
  };
}

async function apiChecks(db: Sql): Promise<void> {
  const now = T0 + 3 * 3600000;
  // r1: a failover 2 h ago, a failback 1 h ago; r2: one failover 30 min ago. Heartbeats for r1 over the last hour.
  await storeEvent(db, "r1", failover(1, 1, 1000), now - 2 * 3600000);
  await storeEvent(db, "r1", { ...failover(1, 2, 2000, "lte0", "wan0"), type: "failback" }, now - 3600000);
  await storeEvent(db, "r2", failover(1, 1, 1000), now - 1800000);
  const r = new MinuteRollups();
  for (let i = 0; i < 60; i++) r.add("r1", hb({ uptimeMs: i * 60000, links: [{ name: "wan0", state: "up", rttMs: 10 + i, lossPct: i % 2 ? 4 : 0, jitterMs: 1 },
    { name: "lte0", state: "up", rttMs: 60, lossPct: 1, jitterMs: 9 }] }), now - 3600000 + i * 60000 + 30000);
  const b = r.take();
  await db.transaction((q) => writeBatch(q, b.minutes, b.routers, []));
  const { server, get } = await serve(db, now);
  try {
    const tl = await get("/api/history/routers/r1/timeline?range=day");
    assert.equal(tl.status, 200);
    assert.deepEqual(tl.body.events.map((e: { type: string; from: string; to: string }) => `${e.type} ${e.from}->${e.to}`), ["failback lte0->wan0", "failover wan0->lte0"]);
    const hour = await get("/api/history/routers/r1/timeline?range=hour&limit=5");
    assert.equal(hour.body.events.length, 1, "the last hour holds the failback only");
    const links = await get("/api/history/routers/r1/links?range=hour");
    assert.equal(links.status, 200);
    assert.equal(links.body.bucketS, 60);
    const wan = links.body.links.find((l: { name: string }) => l.name === "wan0");
    assert.equal(wan.kind, "ethernet");
    assert.equal(wan.points.length, 60);
    assert.equal(wan.points[5].rttMs, 15);
    const day = await get("/api/history/routers/r1/links?range=day");
    assert.equal(day.body.links.find((l: { name: string }) => l.name === "wan0").points.length, 12, "5-minute buckets");
    const fleet = await get("/api/history/fleet/failovers?range=day");
    assert.equal(fleet.body.points.reduce((s: number, p: { failovers: number }) => s + p.failovers, 0), 2);
    const top = await get("/api/history/fleet/top-switchers?range=week&limit=1");
    assert.deepEqual(top.body.routers.map((x: { id: string; switches: number }) => [x.id, x.switches]), [["r1", 2]]);
    const sum = await get("/api/history/routers/r1");
    assert.equal(sum.body.active, "wan0");
    assert.equal((await get("/api/history/routers/nobody")).status, 404);
    // Bad input: a clear 400 and nothing else.
    for (const [path, msg] of [
      ["/api/history/routers/r1/timeline?range=year", /range: must be one of hour, day, week/],
      ["/api/history/routers/r1/timeline?limit=0", /limit: an integer from 1 to 1000/],
      ["/api/history/routers/r1/timeline?limit=1e9", /limit/],
      ["/api/history/routers/r1/timeline?sql=1", /unknown parameter 'sql'/],
      ["/api/history/routers/..%2F..%2Fetc/timeline", /router id/],
      [`/api/history/routers/${"x".repeat(65)}/timeline`, /router id/],
      ["/api/history/fleet/top-switchers?limit=101", /from 1 to 100/],
    ] as Array<[string, RegExp]>) {
      const res = await get(path);
      assert.equal(res.status, 400, path);
      assert.match(res.body.error, msg, path);
    }
    assert.equal((await get("/api/history/nothing")).status, 404);
    assert.equal((await get("/api/history/routers/r1/timeline?" + "a".repeat(3000))).status, 414);
    const m = await get("/metrics");
    assert.match(m.text, /^fleet_routers\{state="online"\} 1$/m);
    assert.match(m.text, /^fleet_routers\{state="unknown"\} 1$/m);
    assert.match(m.text, /^fleet_heartbeat_age_seconds_bucket\{le="60"\} 1$/m);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

test("API: timeline, link series, fleet failovers, top switchers, bounded and validated (PostgreSQL)", async (t) => {
  if (skipWithoutPg(t)) return;
  const db = await fresh();
  try { await apiChecks(db); } finally { await db.close(); }
});

test("the embedded PGlite runs the same migrations, writes and API", async () => {
  const db = await fresh("pglite");
  try {
    assert.equal(await storeEvent(db, "r2", failover(1, 9, 1), T0 - 30 * 86400000), true);
    assert.equal(await storeEvent(db, "r2", failover(1, 9, 1), T0 - 30 * 86400000), false);
    await apiChecks(db);
  } finally { await db.close(); }
});
