// Telemetry through a real broker: Mosquitto (CI installs it), or the embedded broker on a machine
// without it. Routers are simulated on the wall clock and run the real firmware.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { brokerFor, FleetWatcher, until, sleep } from "./helpers-broker";
import { LiveFleet, DEFAULT_LINKS } from "../live/fleet";
import { recordBrokerKind } from "./helpers-env";

const fast = { telemetry: { keepAliveS: 5, heartbeatMs: 2000 } };

test("broker killed and restarted during a failover: every event arrives once, in order; will and state follow the router", async () => {
  const ids = ["r1", "r2", "r3"];
  const { broker, creds } = await brokerFor(ids);
  recordBrokerKind(broker);
  const watcher = await FleetWatcher.start(broker.url, creds.fleet);
  const fleet = new LiveFleet(ids.map((deviceId, i) => ({
    deviceId, seed: i + 1, links: DEFAULT_LINKS, config: fast,
    faults: [{ atMs: 3000, link: "wan0", kind: "blackhole" }, { atMs: 12000, link: "wan0", kind: "restore" }],
  })), broker.url, (id) => creds.devices.get(id));
  try {
    fleet.start(120000);
    assert.ok(await until(() => watcher.births.length >= 3, 10000), "all routers connected");
    // The failover happens about 0.4 s after 3 s; the broker dies in the middle of it.
    await until(() => fleet.world("r1").clock.now() >= 3100, 10000);
    await broker.kill();
    const down = fleet.world("r1").clock.now();
    await sleep(3000);
    const up = fleet.world("r1").clock.now();
    await broker.restart();
    const settled = () => ids.every((id) => fleet.world(id).view()?.queued === 0 &&
      watcher.uniqueEvents(id).some((e) => e.type === "failover"));
    assert.ok(await until(settled, 30000), "every router delivered its queue after the restart");
    for (const id of ids) {
      const w = fleet.world(id);
      const offline = w.events.filter((e) => e.atMs > down && e.atMs < up).map((e) => e.type);
      assert.ok(offline.includes("failover"), `${id}: the failover happened while the broker was dead (${offline})`);
      const emitted = w.events.map((e) => e.seq);
      const got = watcher.uniqueEvents(id).map((e) => e.seq);
      assert.deepEqual(got, emitted, `${id}: each event once, in order (duplicates removed by seq)`);
      const raw = watcher.events.filter((e) => e.deviceId === id).length;
      assert.ok(raw >= got.length);
    }
    // A router that loses power: the will says offline; powered again it says online.
    fleet.powerOff("r2");
    assert.ok(await until(() => watcher.states.get("r2")?.at(-1)?.online === false, 15000), "will published: offline");
    fleet.powerOn("r2");
    assert.ok(await until(() => watcher.states.get("r2")?.at(-1)?.online === true, 15000), "online again");
  } finally {
    fleet.close();
    watcher.client.end(true);
    await broker.stop();
  }
});

after(() => {});
