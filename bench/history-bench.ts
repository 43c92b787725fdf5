// npm run bench -- --history: the fleet history figures, on this machine, in one run.
//  1. Heartbeats/s through Mosquitto to a bare subscriber (counts only) and, with the same flood,
//     stored in PostgreSQL by one collector (decode, schema, rollup, batched upserts), side by side.
//  2. Database bytes per router per day (link rollups as the collector writes them, and events).
//  3. History load time for a router with a week of data: the API calls, and the page in Chromium.
import { startSubscriber, floodHeartbeats } from "./heartbeat-flood";
import { performance } from "node:perf_hooks";
import { startPostgres, postgresBin } from "../testing/postgres-server";
import { spawnCollector } from "../testing/collector-process";
import { mosquittoPath, startBroker, type Broker } from "../fleet/broker/broker";
import { makeCredentials, type FleetCredentials } from "../fleet/broker/credentials";
import { connect } from "../fleet/broker/connect";
import { CHROMIUM, launchChromium } from "../testing/browser/chromium";
import { serveDashboard } from "../fleet/web/dashboard-server";
import { openDatabase, type Sql } from "../fleet/db/sql";
import { migrate } from "../fleet/db/migrate";
import { rollUpHours } from "../fleet/db/downsample";
import { DEFAULT_RETENTION } from "../fleet/db/retention";
import { historyApi } from "../fleet/api/history-api";
import { sleep } from "../testing/sleep";

const SECONDS = Number(process.env.HISTORY_BENCH_SECONDS ?? 10);
const ROUTER_IDS = 100000; // for the bare-subscriber flood
const id = (i: number) => `r-${String(i).padStart(6, "0")}`;

/** What the firmware sends with three uplinks (the same fields and about the same size). */
function heartbeat(i: number, seq: number): string {
  return JSON.stringify({ seq: seq & 65535, epoch: 3, uptimeMs: 86400000 + seq * 10000, active: "wan0", configVersion: 2,
    links: [{ name: "wan0", state: "up", rttMs: 12.4 + (i % 7), lossPct: 0, jitterMs: 1.9 },
      { name: "lte0", state: "up", rttMs: 61.2, lossPct: 1.1, jitterMs: 9.3 }, { name: "wlan0", state: "up", rttMs: 27.8, lossPct: 2.3, jitterMs: 5.1 }],
    queued: 0, dropped: 0, heap: 3021, rejected: 0, safeMode: 0 });
}

/**
 * Publish heartbeats from ROUTER_IDS routers round-robin for `seconds`: at `rate` per second (paced
 * every 10 ms), or with no rate as fast as the broker takes them.
 */
async function flood(broker: Broker, creds: FleetCredentials, seconds: number, rate?: number, routers = ROUTER_IDS): Promise<number> {
  // Devices may write only their own topics: one load generator login speaks for every router id.
  const pub = await connect(broker.url, creds.loadgen!, { reconnectPeriod: 0 });
  const payloads = Array.from({ length: 64 }, (_, i) => heartbeat(i, i));
  const sent = await floodHeartbeats(pub, { seconds, rate, topic: (i) => `routers/${id(i % routers)}/heartbeat`, payload: (i) => payloads[i & 63] });
  await pub.endAsync();
  return sent;
}

async function bareSubscriber(broker: Broker, creds: FleetCredentials): Promise<{ sent: number; received: number; perSecond: number }> {
  const figures = await startSubscriber("bare", broker.url, creds.collectors[1], SECONDS + 2);
  const sent = await flood(broker, creds, SECONDS);
  const res = await figures();
  return { sent, received: res.count, perSecond: res.perSecond };
}

/**
 * One collector process, heartbeats offered at `rate`/s for SECONDS from 10 x rate router ids (each
 * router every 10 s, as the firmware sends them). Steady figures are metric deltas from 3 s in to
 * the end of the flood. Then SIGTERM: the collector writes everything it holds (open minutes too)
 * and exits; lost = offered - heartbeats in the database.
 */
async function collectorIngest(broker: Broker, creds: FleetCredentials, db: Sql, dbUrl: string, rate: number, extra: string[] = []): Promise<Record<string, number>> {
  await db.exec("TRUNCATE link_minutes, routers");
  const c = await spawnCollector(broker.url, dbUrl, creds.collectors[0], ["--group", "bench", ...extra]);
  const t0 = performance.now();
  const flooding = flood(broker, creds, SECONDS, rate, rate * 10);
  await sleep(3000);
  const m = async () => ({ at: performance.now(), rx: await c.metric('fleet_collector_messages_total{kind="heartbeat"}'), st: await c.metric("fleet_collector_heartbeats_stored_total") });
  const a = await m();
  const sent = await flooding;
  const b = await m();
  await sleep(200);
  const flushMean = (await c.metric("fleet_collector_flush_seconds_sum")) / Math.max(1, await c.metric("fleet_collector_flush_seconds_count"));
  const t1 = performance.now();
  await c.stop();
  const finalWriteMs = performance.now() - t1;
  const [r] = await db.query<{ samples: number }>("SELECT (coalesce(sum(samples), 0) / 3)::float8 AS samples FROM link_minutes");
  const secs = (b.at - a.at) / 1000;
  return { sent, offered: sent / SECONDS, receivedPerSecond: (b.rx - a.rx) / secs, storedPerSecond: (b.st - a.st) / secs, stored: r.samples, finalWriteMs, flushMean,
    overallPerSecond: r.samples / ((performance.now() - t0) / 1000) };
}

/** A day of rows for `routers` routers as the collector writes them (3 links x 1440 minutes) and `events` events each. */
async function bytesPerRouterDay(db: Sql, routers: number, events: number): Promise<{ minutesB: number; hoursB: number; eventsB: number; rowB: number; eventRowB: number; routerB: number }> {
  const size = async () => (await db.query<{ m: number; h: number; e: number; r: number }>(`SELECT pg_total_relation_size('link_minutes')::float8 AS m,
    pg_total_relation_size('link_hours')::float8 AS h, pg_total_relation_size('events')::float8 AS e, pg_total_relation_size('routers')::float8 AS r`))[0];
  await db.exec("TRUNCATE link_minutes, link_hours, routers, events, rollup_progress");
  await db.exec("VACUUM ANALYZE");
  const before = await size();
  const day = Date.UTC(2026, 0, 1);
  await db.query(`
    INSERT INTO link_minutes (router_id, link, minute, samples, rtt_sum, rtt_max, loss_sum, loss_max, jitter_sum, up, degraded, down, active)
    SELECT 'day-' || lpad(r::text, 6, '0'), l, to_timestamp($1::float8 / 1000) + make_interval(mins => m), 6, 74.4 + r % 9, 14.2, 0.6, 0.3, 11.4, 6, 0, 0,
      CASE WHEN l = 'wan0' THEN 6 ELSE 0 END
    FROM generate_series(1, $2::int) r, unnest(ARRAY['wan0', 'lte0', 'wlan0']) l, generate_series(0, 1439) m`, [day, routers]);
  await db.query(`
    INSERT INTO events (router_id, dedupe_key, type, at, received_at, epoch, seq, at_ms, link, link_kind, from_link, to_link, reason)
    SELECT 'day-' || lpad(r::text, 6, '0'), 'e/3/' || (k % 256) || '/' || (k * 8640000), CASE WHEN k % 2 = 0 THEN 'link-state' ELSE 'failover' END,
      to_timestamp($1::float8 / 1000) + make_interval(secs => k * 8640), to_timestamp($1::float8 / 1000) + make_interval(secs => k * 8640),
      3, k % 256, k * 8640000, 'wan0', 'ethernet', 'up', 'down', 'no-reply'
    FROM generate_series(1, $2::int) r, generate_series(1, $3::int) k`, [day, routers, events]);
  await db.query(`INSERT INTO routers (id, online, online_at, active, primary_link, epoch, birth_seq, firmware, config_version, clock_epoch, clock_zero_at, last_heartbeat_at)
    SELECT 'day-' || lpad(r::text, 6, '0'), true, now(), 'wan0', 'wan0', 3, 0, '0.2.0', 2, 3, now(), now() FROM generate_series(1, $1::int) r`, [routers]);
  await rollUpHours(db, day + 86400000 + 600000);
  await db.exec("VACUUM ANALYZE");
  const after = await size();
  const rows = routers * 3 * 1440;
  const out = { minutesB: (after.m - before.m) / routers, hoursB: (after.h - before.h) / routers, eventsB: (after.e - before.e) / routers,
    rowB: (after.m - before.m) / rows, eventRowB: (after.e - before.e) / (routers * events), routerB: (after.r - before.r) / routers };
  await db.exec("TRUNCATE link_minutes, link_hours, routers, events, rollup_progress");
  return out;
}

/** One router with a week of minutes and events, then the API calls and the page in Chromium. */
async function historyLoad(db: Sql, dbUrl: string, broker: Broker, creds: FleetCredentials): Promise<void> {
  const now = Date.now();
  const router = "week-router";
  await db.query(`
    INSERT INTO link_minutes (router_id, link, minute, samples, rtt_sum, rtt_max, loss_sum, loss_max, jitter_sum, up, degraded, down, active)
    SELECT $1::text, l, date_trunc('minute', to_timestamp($2::float8 / 1000)) - make_interval(mins => m), 6, 6 * (20 + 10 * sin(m / 120.0)), 40, m % 13, 5, 12, 6, 0, 0, 0
    FROM unnest(ARRAY['wan0', 'lte0', 'wlan0']) l, generate_series(0, 7 * 1440 - 1) m`, [router, now]);
  await db.query(`
    INSERT INTO events (router_id, dedupe_key, type, at, received_at, epoch, seq, at_ms, link, from_link, to_link, reason)
    SELECT $1::text, 'e/1/' || (k % 256) || '/' || k, CASE WHEN k % 2 = 0 THEN 'failover' ELSE 'failback' END,
      to_timestamp($2::float8 / 1000) - make_interval(secs => k * 1500), to_timestamp($2::float8 / 1000) - make_interval(secs => k * 1500),
      1, k % 256, k, 'wan0', CASE WHEN k % 2 = 0 THEN 'wan0' ELSE 'lte0' END, CASE WHEN k % 2 = 0 THEN 'lte0' ELSE 'wan0' END, 'no-reply'
    FROM generate_series(1, 400) k`, [router, now]);
  await db.query("INSERT INTO routers (id, online, online_at, active, primary_link, epoch, last_heartbeat_at) VALUES ($1, true, now(), 'wan0', 'wan0', 1, now())", [router]);
  while (await rollUpHours(db, now) > 1) { /* the week in 48-hour passes */ }
  await db.exec("ANALYZE");
  const api = historyApi({ db: () => db });
  const page = await serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 30000 },
    0, "127.0.0.1", { api });
  try {
    for (const path of ["links?range=week", "timeline?range=week&limit=500", "links?range=day", "links?range=hour"]) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 7; i++) {
        const t = performance.now();
        const res = await fetch(`${page.url}api/history/routers/${router}/${path}`);
        bytes = (await res.arrayBuffer()).byteLength;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(`  GET .../${path.padEnd(30)} median ${times[3].toFixed(1)} ms, worst ${times[6].toFixed(1)} ms, ${bytes} bytes`);
    }
    if (!CHROMIUM) { console.log("  page in chromium: skipped (no chromium)"); return; }
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      for (const visit of ["first load", "reload", "reload"]) {
        const t = performance.now();
        if (visit === "first load") await tab.goto(`${page.url}#router=${router}&range=week`); else await tab.reload();
        await tab.locator("#history-status", { hasText: /\d+ events, / }).waitFor({ timeout: 30000 });
        await tab.locator("#top-switchers li").first().waitFor();
        const ms = performance.now() - t;
        const panel = await tab.evaluate("window.fleetHistory.lastLoadMs") as number;
        const status = await tab.locator("#history-status").innerText();
        console.log(`  page (${visit}): week of history drawn ${ms.toFixed(0)} ms after navigation; history fetch + draw ${panel.toFixed(0)} ms (${status})`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    await page.close();
  }
  void dbUrl;
}

export async function historyBench(): Promise<void> {
  if (!postgresBin() || !mosquittoPath()) {
    console.log("history bench: needs PostgreSQL and Mosquitto (apt-get install postgresql mosquitto)");
    return;
  }
  const t0 = performance.now();
  const pg = await startPostgres({ durable: true });
  const creds = makeCredentials([], undefined, { loadgen: true });
  const broker = await startBroker(creds);
  const brokerGuard = () => void broker.kill(); // the bench dying early (a closed pipe) must not leave the broker running
  process.once("exit", brokerGuard);
  const dbUrl = await pg.createDatabase("bench");
  const db = await openDatabase(dbUrl);
  try {
    await migrate(db);
    console.log(`fleet history bench: ${pg.version} (fsync on, default settings), ${broker.kind} ${broker.version}, ${SECONDS} s floods, heartbeats of 3 links from ${ROUTER_IDS} router ids`);
    const bare = await bareSubscriber(broker, creds);
    console.log(`bare subscriber (counts only): ${(bare.sent / SECONDS).toFixed(0)} sent/s, received ${bare.perSecond}/s (${bare.received} of ${bare.sent})`);
    const w = [46, 10, 11, 10, 10, 9, 12, 7];
    const row = (c: string[]) => c.map((x, i) => (i ? x.padStart(w[i]) : x.padEnd(w[i]))).join(" ");
    console.log("one collector -> PostgreSQL (routers = 10 x rate, each heartbeating every 10 s; steady = from 3 s in to the end of the flood):");
    console.log(row(["", "offered/s", "received/s", "stored/s", "overall/s", "lost", "final write", "flush"]));
    const runs: Array<[string, number, string[]]> = [
      ["rollups written every second (--rollup-flush-ms 1000)", 10000, ["--rollup-flush-ms", "1000"]], ["", 15000, ["--rollup-flush-ms", "1000"]],
      ["", 20000, ["--rollup-flush-ms", "1000"]],
      ["rollups written once per minute (the default)", 10000, []], ["", 20000, []],
    ];
    for (const [label, rate, extra] of runs) {
      const c = await collectorIngest(broker, creds, db, dbUrl, rate, extra);
      if (label) console.log(label + ":");
      console.log(row([`  ${rate * 10} routers`, c.offered.toFixed(0), c.receivedPerSecond.toFixed(0), extra.length ? c.storedPerSecond.toFixed(0) : "-",
        c.overallPerSecond.toFixed(0), String(c.sent - c.stored), `${(c.finalWriteMs / 1000).toFixed(1)} s`, `${(c.flushMean * 1000).toFixed(0)} ms`]));
    }
    console.log("  stored/s: heartbeats whose rollups were committed per second, steady (once-per-minute mode commits a minute after: '-');");
    console.log("  overall/s: heartbeats in the database / (flood + final write): the final write holds a whole minute of rows, so this is a floor;");
    console.log("  lost: offered minus heartbeats in the database after the final write (QoS 0 the broker dropped for a subscriber");
    console.log("  that fell behind, or the collector dropped); final write: SIGTERM to exit, writing every open minute; flush: mean per 1 s flush");

    const ROUTERS = 200, EVENTS = 10;
    const b = await bytesPerRouterDay(db, ROUTERS, EVENTS);
    const R = DEFAULT_RETENTION;
    console.log(`\ndatabase bytes per router per day (${ROUTERS} routers, 3 links, a heartbeat every 10 s all day, ${EVENTS} events each; tables + indexes):`);
    console.log(`  minute rollups ${(b.minutesB / 1024).toFixed(0)} KiB (${b.rowB.toFixed(0)} B per router-link-minute), hourly rollups ${(b.hoursB / 1024).toFixed(1)} KiB, ` +
      `events ${(b.eventsB / 1024).toFixed(1)} KiB (${b.eventRowB.toFixed(0)} B per event); router row ${b.routerB.toFixed(0)} B`);
    const kept = R.minutesDays * b.minutesB + R.hoursDays * b.hoursB + R.eventsDays * b.eventsB + b.routerB;
    console.log(`  kept at the default retention (minutes ${R.minutesDays} d, hours ${R.hoursDays} d, events ${R.eventsDays} d): ${(kept / 1048576).toFixed(2)} MiB per router`);

    console.log("\nhistory load, one router with a week of data (3 links x 10,080 minutes, 400 switches) among the rest:");
    await historyLoad(db, dbUrl, broker, creds);
  } finally {
    await db.close();
    process.off("exit", brokerGuard);
    await broker.stop();
    await pg.stop();
  }
  console.log(`\nhistory bench wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
