// One router must not be able to damage the fleet's history (issue 20), on real Mosquitto and
// PostgreSQL: numbers the database cannot hold are refused at the schema, a row the database
// refuses takes no other router's rows with it, and one router flooding events at full speed
// beside 100 well-behaved ones gets its excess dropped and counted while every well-behaved
// router's events are stored exactly once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { devicePublishers } from "./device-publishers";
import { spawnCollector } from "../../testing/collector-process";
import { mosquittoPath, startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { connect } from "../broker/connect";
import { recordBrokerKind } from "../../testing/environment";
import { openDatabase } from "../db/sql";
import { startFleetHistory, type FleetHistory } from "../fleet-history";
import { sleep } from "../../testing/sleep";


function mosquittoOrSkip(t: { skip(m: string): void }): boolean {
  if (mosquittoPath()) return true;
  if (process.env.CI === "true") assert.fail("CI=true but mosquitto is not installed (apt-get install mosquitto)");
  t.skip("mosquitto not installed: history quota tests skipped");
  return false;
}

const heartbeat = (over: Record<string, unknown> = {}, link: Record<string, unknown> = {}) => JSON.stringify({
  seq: 1, epoch: 1, uptimeMs: 5000, active: "wan0", configVersion: 3, queued: 0, dropped: 0, ...over,
  links: [{ name: "wan0", state: "up", rttMs: 12, lossPct: 0, jitterMs: 1, ...link }],
});

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

type Publishers = ReturnType<typeof devicePublishers>;
type Db = Awaited<ReturnType<typeof openDatabase>>;

/** PostgreSQL, Mosquitto and an in-process collector; `prepare` may alter the database before messages flow. */
async function withHistory(name: string, ids: string[], body: (h: FleetHistory, pub: Publishers, admin: Db) => Promise<void>,
  prepare?: (admin: Db) => Promise<void>): Promise<void> {
  const pg = await startPostgres();
  const creds = makeCredentials(ids);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  let history: FleetHistory | null = null;
  const dbUrl = await pg.createDatabase(name);
  const admin = await openDatabase(dbUrl);
  const pub = devicePublishers(broker.url, creds);
  try {
    // rollupFlushMs 1: every flush writes every minute row, so a test need not wait for the minute to end.
    history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
      db: dbUrl, shareGroup: null, flushMs: 100, rollupFlushMs: 1, log: process.env.TEST_LOG ? (s) => console.error(s) : () => {} });
    if (prepare) await prepare(admin);
    await body(history, pub, admin);
  } finally {
    pub.end(true);
    await history?.stop();
    await admin.close();
    await broker.stop();
    await pg.stop();
  }
}

test("a heartbeat with numbers no column holds (configVersion 1e10, rttMs 1e39) is rejected, and every other router's figures are stored", async (t) => {
  if (!postgresOrSkip(t) || !mosquittoOrSkip(t)) return;
  const good = ["g0", "g1", "g2", "g3"];
  await withHistory("range", [...good, "bad"], async (h, pub, admin) => {
    await pub.publishAsync("routers/bad/heartbeat", heartbeat({ configVersion: 1e10 }), { qos: 1 });
    await pub.publishAsync("routers/bad/heartbeat", heartbeat({}, { rttMs: 1e39, jitterMs: 1e39 }), { qos: 1 });
    for (const g of good) await pub.publishAsync(`routers/${g}/heartbeat`, heartbeat(), { qos: 1 });
    await until("the collector to take 6 heartbeats", () => h.collector.metrics.messages.get({ kind: "heartbeat" }) >= 6);
    await h.collector.flush();
    await until("the good routers' figures", async () =>
      (await admin.query<{ n: number }>("SELECT count(DISTINCT router_id)::int AS n FROM link_minutes"))[0].n >= good.length, 5000).catch(() => {});
    const rows = await admin.query<{ router_id: string }>("SELECT DISTINCT router_id FROM link_minutes ORDER BY 1");
    assert.deepEqual(rows.map((r) => r.router_id), good, "every well-formed router's minute rows stored, none of the bad one's");
    const rejected = await admin.query<{ reason: string; detail: string }>("SELECT reason, detail FROM events WHERE router_id = 'bad' AND type = 'rejected' ORDER BY detail");
    assert.equal(rejected.length, 2);
    assert.ok(rejected.every((r) => r.reason === "schema"), JSON.stringify(rejected));
    assert.match(rejected.map((r) => r.detail).join(" "), /configVersion/);
    assert.match(rejected.map((r) => r.detail).join(" "), /rttMs|jitterMs/);
  });
});

test("a row the database refuses (a CHECK the test adds) is isolated: counted and kept as that router's rejected event; other routers' rows and events stored", async (t) => {
  if (!postgresOrSkip(t) || !mosquittoOrSkip(t)) return;
  const good = ["h0", "h1", "h2", "h3", "h4"];
  await withHistory("isolate", [...good, "poisoned"], async (h, pub, admin) => {
    // Heartbeats and events of every router arrive in the same flush and the same event batch.
    pub.publish("routers/poisoned/heartbeat", heartbeat({}, { name: "poison0" }), { qos: 0 });
    for (const g of good) pub.publish(`routers/${g}/heartbeat`, heartbeat(), { qos: 0 });
    const ev = (reason: string, seq: number) => JSON.stringify({ epoch: 1, seq, atMs: 1000 + seq, type: "failover", from: "wan0", to: "lte0", reason });
    await Promise.all([pub.publishAsync("routers/poisoned/event", ev("poison", 1), { qos: 1 }),
      ...good.map((g) => pub.publishAsync(`routers/${g}/event`, ev("wan0 down", 1), { qos: 1 }))]);
    await until("6 heartbeats", () => h.collector.metrics.messages.get({ kind: "heartbeat" }) >= 6);
    await h.collector.flush();
    await until("the rejected rows", async () =>
      (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE router_id = 'poisoned' AND type = 'rejected'"))[0].n >= 2);
    const mins = await admin.query<{ router_id: string }>("SELECT DISTINCT router_id FROM link_minutes ORDER BY 1");
    assert.deepEqual(mins.map((r) => r.router_id), good);
    const evs = await admin.query<{ router_id: string }>("SELECT router_id FROM events WHERE type = 'failover' ORDER BY 1");
    assert.deepEqual(evs.map((r) => r.router_id), good);
    const rej = await admin.query<{ reason: string }>("SELECT reason FROM events WHERE router_id = 'poisoned' AND type = 'rejected'");
    assert.ok(rej.every((r) => r.reason === "store"));
    assert.equal(h.collector.metrics.rejected.get({ kind: "heartbeat", reason: "store" }), 1);
    assert.equal(h.collector.metrics.rejected.get({ kind: "event", reason: "store" }), 1);
  }, (admin) => admin.exec("ALTER TABLE link_minutes ADD CONSTRAINT no_poison CHECK (link NOT LIKE 'poison%'); " +
    "ALTER TABLE events ADD CONSTRAINT no_poison CHECK (reason IS DISTINCT FROM 'poison')"));
});

test("one router flooding events at full speed beside 100 well-behaved routers: theirs stored exactly once, its excess dropped and counted, memory bounded", async (t) => {
  if (!postgresOrSkip(t) || !mosquittoOrSkip(t)) return;
  const SECONDS = Number(process.env.FLOOD_SECONDS ?? 20);
  const ROUTERS = 100;
  const ids = Array.from({ length: ROUTERS }, (_, i) => `w${i}`);
  const pg = await startPostgres();
  const creds = makeCredentials([...ids, "flood"]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const dbUrl = await pg.createDatabase("flood");
  const collector = await spawnCollector(broker.url, dbUrl, creds.collectors[0], ["--no-share"]);
  const admin = await openDatabase(dbUrl);
  const pub = devicePublishers(broker.url, creds);
  const flooder = await connect(broker.url, creds.devices.get("flood")!, { reconnectPeriod: 0 });
  const rss = (pid: number | null | undefined) => {
    try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024; } catch { return 0; }
  };
  const peak = { collector: 0, broker: 0 };
  const start = { collector: rss(collector.proc.pid), broker: rss(broker.pid) };
  const sampler = setInterval(() => {
    peak.collector = Math.max(peak.collector, rss(collector.proc.pid));
    peak.broker = Math.max(peak.broker, rss(broker.pid));
  }, 250);
  try {
    let stop = false;
    // The flooder: QoS 1 events as fast as the broker takes them (1,000 unacknowledged at most).
    let flooded = 0, inFlight = 0;
    const flood = (async () => {
      while (!stop) {
        while (inFlight < 1000 && !stop) {
          const k = flooded++;
          inFlight++;
          flooder.publish("routers/flood/event", JSON.stringify({ epoch: 1, seq: k % 256, atMs: k, type: "link-state", link: "wan0", from: "up", to: "down", reason: "x" }),
            { qos: 1 }, () => { inFlight--; });
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    // The others: one event a second each, spread over the second.
    const sent = new Map<string, number>(ids.map((id) => [id, 0]));
    const ends = Date.now() + SECONDS * 1000;
    const behaved = ids.map(async (id, i) => {
      await sleep((i * 1000) / ROUTERS);
      for (let k = 0; Date.now() < ends; k++) {
        await pub.publishAsync(`routers/${id}/event`, JSON.stringify({ epoch: 1, seq: k % 256, atMs: k * 1000, type: "failover", from: "wan0", to: "lte0", reason: "test" }), { qos: 1 });
        sent.set(id, k + 1);
        await sleep(1000);
      }
    });
    await Promise.all(behaved);
    stop = true;
    await flood;
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    let stored = 0;
    await until("the well-behaved routers' events", async () => {
      stored = (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE router_id LIKE 'w%'"))[0].n;
      return stored >= total;
    }, 30000).catch(() => {});
    await sleep(1500); // a redelivery would land now
    clearInterval(sampler);
    const per = await admin.query<{ router_id: string; n: number; keys: number }>(
      "SELECT router_id, count(*)::int AS n, count(DISTINCT dedupe_key)::int AS keys FROM events WHERE router_id LIKE 'w%' GROUP BY 1");
    const missing = ids.filter((id) => (per.find((p) => p.router_id === id)?.n ?? 0) !== sent.get(id));
    const [fl] = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE router_id = 'flood'");
    const [row] = await admin.query<{ dropped: string }>("SELECT to_jsonb(r)->>'dropped' AS dropped FROM routers r WHERE id = 'flood'");
    const quotaDropped = await collector.metric("fleet_collector_quota_dropped_total");
    const MB = (b: number) => (b / 1048576).toFixed(0);
    t.diagnostic(`${SECONDS} s: flooder sent ${flooded} events, ${fl.n} stored, ${row?.dropped ?? 0} counted as dropped on its row ` +
      `(collector quota_dropped ${quotaDropped}); ${ROUTERS} routers sent ${total}, stored ${stored}; ` +
      `collector RSS ${MB(start.collector)} -> peak ${MB(peak.collector)} MB, mosquitto RSS ${MB(start.broker)} -> peak ${MB(peak.broker)} MB`);
    assert.deepEqual(missing, [], "every well-behaved router's events stored");
    assert.ok(per.every((p) => p.n === p.keys), "each once");
    assert.ok(flooded > 20 * fl.n, `the flooder sent far more than its quota (${flooded})`);
    assert.ok(fl.n <= 600 + 30 * (SECONDS / 60 + 1), `the flooder's stored events are within its quota: ${fl.n}`);
    assert.ok(Number(row?.dropped ?? 0) > 0 && quotaDropped > 0, "its excess is counted");
    assert.ok(peak.collector < 600 * 1048576, `collector memory bounded: peak ${MB(peak.collector)} MB`);
    assert.ok(peak.broker < 300 * 1048576, `broker memory bounded: peak ${MB(peak.broker)} MB`);
  } finally {
    clearInterval(sampler);
    flooder.end(true);
    pub.end(true);
    await collector.stop();
    await admin.close();
    await broker.stop();
    await pg.stop();
  }
});
