// Three collectors on one shared subscription (real Mosquitto, real PostgreSQL) split the stream;
// one is killed with SIGKILL mid-stream and restarted; every event is stored exactly once.
import { devicePublishers } from "./device-publishers";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { spawnCollector, type CollectorProcess } from "../../testing/collector-process";
import { mosquittoPath, startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { recordBrokerKind } from "../../testing/environment";
import { openDatabase } from "../db/sql";
import { startFleetHistory } from "../fleet-history";
import { sleep } from "../../testing/sleep";


test("three collectors share the stream; one killed -9 and restarted; every event stored exactly once", async (t) => {
  if (!postgresOrSkip(t)) return;
  if (!mosquittoPath()) {
    if (process.env.CI === "true") assert.fail("CI=true but mosquitto is not installed (apt-get install mosquitto)");
    t.skip("mosquitto not installed (the embedded broker has no shared subscriptions): shared-collector test skipped");
    return;
  }
  const pg = await startPostgres();
  const creds = makeCredentials(Array.from({ length: 30 }, (_, i) => `r${i}`));
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const dbUrl = await pg.createDatabase("share");
  const collectors: CollectorProcess[] = [];
  const pub = devicePublishers(broker.url, creds);
  const db = await openDatabase(dbUrl);
  try {
    // The first applies the migrations; the other two find them done.
    collectors.push(await spawnCollector(broker.url, dbUrl, creds.collectors[0], ["--group", "hist"]));
    collectors.push(...await Promise.all([1, 2].map((i) => spawnCollector(broker.url, dbUrl, creds.collectors[i], ["--group", "hist"]))));

    // 30 routers x 200 events (seq wraps at 256 for none, 300 for some: see below), QoS 1, steady rate, plus heartbeats.
    const ROUTERS = 30, PER = 200, WRAPPING = 3, EXTRA = 150;
    const plan: Array<{ topic: string; payload: string }> = [];
    for (let k = 0; k < PER + EXTRA; k++) {
      for (let r = 0; r < ROUTERS; r++) {
        if (k >= PER && r >= WRAPPING) continue; // three routers go past 256 events: seq wraps within one boot
        plan.push({ topic: `routers/r${r}/event`, payload: JSON.stringify({ epoch: 1, seq: k % 256, atMs: 1000 + k * 10, type: "link-state",
          link: "lte0", from: k % 2 ? "down" : "up", to: k % 2 ? "up" : "down", reason: `step ${k}` }) });
      }
    }
    const total = plan.length;
    const started = Date.now();
    let killedAt = 0, restartedAt = 0;
    for (let i = 0; i < total; i++) {
      const m = plan[i];
      await pub.publishAsync(m.topic, m.payload, { qos: 1 });
      if (i % 10 === 0) pub.publish(`routers/r${(i / 10) % ROUTERS}/heartbeat`, JSON.stringify({ seq: i, epoch: 1, uptimeMs: i * 100, active: "wan0", configVersion: 1,
        links: [{ name: "wan0", state: "up", rttMs: 12, lossPct: 0, jitterMs: 1 }], queued: 0, dropped: 0 }), { qos: 0 });
      if (i === Math.floor(total * 0.3)) { await collectors[1].kill9(); killedAt = Date.now(); }
      if (i === Math.floor(total * 0.6)) { collectors[1] = await spawnCollector(broker.url, dbUrl, creds.collectors[1], ["--group", "hist"]); restartedAt = Date.now(); }
      if (i % 50 === 49) await sleep(10); // about 2,000 events/s
    }
    const publishedMs = Date.now() - started;
    let stored = 0;
    const until = Date.now() + 30000;
    while (Date.now() < until) {
      stored = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events"))[0].n;
      if (stored >= total) break;
      await sleep(200);
    }
    await sleep(1500); // anything late (a redelivery) would land now
    const [c] = await db.query<{ n: number; keys: number; wrapped: number }>(`
      SELECT count(*)::int AS n, count(DISTINCT (router_id, dedupe_key))::int AS keys,
        count(*) FILTER (WHERE seq < 100 AND at_ms >= 1000 + 2560)::int AS wrapped FROM events`);
    const shares = await Promise.all(collectors.map((p) => p.metric("fleet_collector_events_stored_total")));
    const dups = await Promise.all(collectors.map((p) => p.metric("fleet_collector_duplicates_total")));
    t.diagnostic(`${total} events published in ${publishedMs} ms; collector-2 down from ${killedAt - started} to ${restartedAt - started} ms; ` +
      `stored ${c.n}; stored per live collector (since its start) ${shares.join(", ")}; duplicates seen ${dups.join(", ")}`);
    assert.equal(c.n, total, "every event stored");
    assert.equal(c.keys, total, "each once");
    assert.equal(c.wrapped, WRAPPING * (EXTRA - (256 - PER)), "events after the seq wrap are new events, not duplicates");
    assert.ok(shares[0] > 0 && shares[2] > 0 && shares[0] < total && shares[2] < total, `the stream was split: ${shares.join(", ")}`);
    assert.ok(shares[1] > 0, "the restarted collector took its share again");
    const [hb] = await db.query<{ routers: number }>("SELECT count(*)::int AS routers FROM routers WHERE last_heartbeat_at IS NOT NULL");
    assert.equal(hb.routers, ROUTERS, "every router's heartbeat recorded");
  } finally {
    pub.end(true);
    for (const p of collectors) await p.stop();
    await db.close();
    await broker.stop();
    await pg.stop();
  }
});

test("the database drops the collector's connections mid-stream: writes are retried, every event stored once", async (t) => {
  if (!postgresOrSkip(t)) return;
  const pg = await startPostgres();
  const creds = makeCredentials(Array.from({ length: 6 }, (_, i) => `d${i}`));
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const dbUrl = await pg.createDatabase("drop");
  const history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
    db: dbUrl, shareGroup: broker.kind === "mosquitto" ? "drop" : null, log: () => {} });
  const admin = await openDatabase(dbUrl);
  const pub = devicePublishers(broker.url, creds);
  try {
    const total = 600;
    let killed = 0;
    for (let k = 0; k < total; k++) {
      await pub.publishAsync(`routers/d${k % 6}/event`, JSON.stringify({ epoch: 2, seq: k % 256, atMs: k, type: "boot", safeMode: false, boots: 2, configVersion: 1 }), { qos: 1 });
      if (k % 150 === 75) {
        const rows = await admin.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'fleet-collector' AND pid <> pg_backend_pid()");
        killed += rows.length;
      }
    }
    let stored = 0;
    for (let i = 0; i < 100 && stored < total; i++) {
      stored = (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE type = 'boot'"))[0].n;
      await sleep(100);
    }
    t.diagnostic(`${killed} collector connections terminated; ${history.collector.metrics.dbErrors.get()} statements failed and were retried`);
    assert.ok(killed > 0, "connections were dropped");
    assert.equal(stored, total);
    assert.equal(history.collector.metrics.events.get({ type: "boot" }) + history.collector.metrics.duplicates.get(), total);
  } finally {
    pub.end(true);
    await history.stop();
    await admin.close();
    await broker.stop();
    await pg.stop();
  }
});
