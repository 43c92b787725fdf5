// A router restarted with its store erased (reflashed, NVS wiped, a replacement board with the same
// id) starts its boot counter over, so its second life repeats the first one's (epoch, seq, atMs).
// Each boot draws a random boot id; the history keys events on it and keeps every event of both
// lives. Real Mosquitto (when installed) and real PostgreSQL, the firmware on the wall clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { mosquittoPath, startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { recordBrokerKind } from "../../testing/environment";
import { openDatabase } from "../db/sql";
import { startFleetHistory } from "../fleet-history";
import { LiveFleet, DEFAULT_LINKS } from "../../sim/live/fleet";
import type { LoggedEvent } from "../../sim/world/world";
import { sleep } from "../../testing/sleep";

const ID = "reflashed-1";
const FAULTS = [{ atMs: 10000, link: "wan0", kind: "blackhole" as const }, { atMs: 25000, link: "wan0", kind: "restore" as const }];

interface Life { events: LoggedEvent[]; startedAt: number; bootId: string }

/** One life of the router: a fresh world (an empty store), 40 simulated seconds at 10x. */
async function live(brokerUrl: string, creds: ReturnType<typeof makeCredentials>): Promise<Life> {
  const fleet = new LiveFleet([{ deviceId: ID, seed: 42, links: DEFAULT_LINKS, faults: FAULTS, config: { telemetry: { heartbeatMs: 2000 } } }],
    brokerUrl, (id) => creds.devices.get(id));
  const world = fleet.world(ID);
  const startedAt = Date.now();
  const run = fleet.start(40000, 10);
  await run.done;
  // Everything the router raised must have left its queue (acknowledged by the broker) before it stops.
  for (let i = 0; i < 100 && (world.view()?.queued ?? 0) > 0; i++) await sleep(50);
  assert.equal(world.view()?.queued, 0, "the router's event queue drained");
  const bootId = world.view()?.bootId ?? "";
  fleet.close();
  return { events: [...world.events], startedAt, bootId };
}

test("a router restarted with its store erased: every event of both lives is stored, each boot under its own boot id", async (t) => {
  if (!postgresOrSkip(t)) return;
  if (!mosquittoPath() && process.env.CI === "true") assert.fail("CI=true but mosquitto is not installed (apt-get install mosquitto)");
  const pg = await startPostgres();
  const creds = makeCredentials([ID]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const dbUrl = await pg.createDatabase("reflash");
  const history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
    db: dbUrl, shareGroup: null, log: () => {} });
  const db = await openDatabase(dbUrl);
  try {
    const first = await live(broker.url, creds);
    const second = await live(broker.url, creds);
    const key = (e: LoggedEvent) => `${e.seq}/${e.atMs}/${e.type}`;
    const expected = first.events.length + second.events.length;
    // The premise: both lives are boot 1 and repeat each other's (seq, atMs), so a key without the
    // boot id would have thrown the second life away as duplicates.
    const firstKeys = new Set(first.events.map(key));
    const repeated = second.events.filter((e) => firstKeys.has(key(e))).length;
    t.diagnostic(`life 1: ${first.events.length} events, life 2: ${second.events.length}, ${repeated} with the same (epoch, seq, atMs)`);
    assert.ok(first.events.some((e) => e.type === "failover") && second.events.some((e) => e.type === "failover"), "each life failed over");
    assert.ok(repeated > 0, "the second life repeats keys of the first");

    let rows: Array<{ boot_id: string | null; epoch: number; seq: number; at_ms: number; type: string; at: Date }> = [];
    for (let i = 0; i < 100; i++) {
      rows = await db.query("SELECT boot_id, epoch, seq, at_ms, type, at FROM events WHERE router_id = $1 AND seq IS NOT NULL", [ID]);
      if (rows.length >= expected) break;
      await sleep(100);
    }
    const boots = [...new Set(rows.map((r) => r.boot_id))];
    assert.equal(boots.length, 2, `two boot ids in the history: ${boots.join(", ")}`);
    assert.ok(boots.every((b) => b !== null && /^[0-9a-f]{16}$/.test(b)), "boot ids are 16 hex digits");
    assert.ok(rows.every((r) => r.epoch === 1), "both lives are epoch 1 (the counter started over)");
    for (const life of [first, second]) {
      const stored = rows.filter((r) => r.boot_id === life.bootId);
      assert.deepEqual(stored.map((r) => `${r.seq}/${r.at_ms}/${r.type}`).sort(), life.events.map(key).sort(), "every event of the life, once");
      // Device time mapped with this boot's own clock zero, not the other life's.
      for (const r of stored) assert.ok(r.at.getTime() >= life.startedAt - 2000, `event ${r.type} ${r.seq} dated within its own life`);
    }
    assert.equal(rows.length, expected, "nothing stored twice");
    assert.equal(history.collector.metrics.events.get({ type: "failover" }), 2, "the collector stored both failovers");
    const births = await db.query<{ n: number }>("SELECT count(DISTINCT boot_id)::int AS n FROM events WHERE router_id = $1 AND type = 'online'", [ID]);
    assert.equal(births[0].n, 2, "a birth of each life");
    const [row] = await db.query<{ boot_id: string; active: string }>("SELECT boot_id, active FROM routers WHERE id = $1", [ID]);
    assert.equal(row.boot_id, second.bootId, "the router row follows the newest boot");
    const lastSwitch = second.events.filter((e) => e.type === "failover" || e.type === "failback" || e.type === "initial").at(-1) as { to: string };
    assert.equal(row.active, lastSwitch.to, "the active link is the second life's, though its (epoch, uptime) is lower than the first's");
  } finally {
    await history.stop();
    await db.close();
    await broker.stop();
    await pg.stop();
  }
});
