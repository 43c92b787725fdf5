// The fleet dashboard in a real browser (Debian's chromium driven by playwright-core) against
// Mosquitto's WebSocket listener and live simulated routers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { CHROMIUM, launchChromium } from "../browser/chromium";
import { brokerFor, connect } from "./helpers-broker";
import { LiveFleet, DEFAULT_LINKS } from "../live/fleet";
import { serveDashboard } from "../../dashboard/server";
import { recordBrokerKind, recordBrowser } from "./helpers-env";
import { ROOT } from "./helpers";

test("dashboard: a blackholed primary shows the backup within 2 s; a stopped router shows offline; bad messages are shown", async (t) => {
  if (!CHROMIUM) {
    if (process.env.CI === "true") assert.fail("CI=true but chromium is not installed (apt-get install chromium)");
    recordBrowser("none (chromium not installed: skipped)");
    t.skip("chromium not installed");
    return;
  }
  const ids = ["edge-1", "edge-2", "edge-3"];
  // "edge-9" is a device login with no router behind it: it sends the bad message below (only a
  // device may publish its own heartbeat; the fleet login may not forge one).
  const { broker, creds } = await brokerFor([...ids, "edge-9"]);
  recordBrokerKind(broker);
  const fleet = new LiveFleet(ids.map((deviceId, i) => ({ deviceId, seed: i + 11, links: DEFAULT_LINKS,
    config: { telemetry: { heartbeatMs: 2000, keepAliveS: 5 } } })), broker.url, (id) => creds.devices.get(id));
  const page = await serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 8000 });
  const browser = await launchChromium();
  recordBrowser(`chromium ${browser.version()}`);
  try {
    fleet.start(600000);
    mkdirSync(ROOT + "test-results", { recursive: true });
    const tab = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    await tab.goto(page.url);
    const cell = (id: string, cls: string) => tab.locator(`.row[data-id="${id}"] .${cls}`);
    await tab.waitForFunction(`document.querySelectorAll('#rows .row[data-id] .c-status[data-status="online"]').length === 3`, null, { timeout: 15000 });
    for (const id of ids) assert.equal(await cell(id, "c-active").getAttribute("data-active"), "wan0");

    // Blackhole edge-2's primary; time from the router's failover event to the row showing lte0.
    const w2 = fleet.world("edge-2");
    let failoverAt = 0;
    w2.onEvent((e) => { if (e.type === "failover" && !failoverAt) failoverAt = Date.now(); });
    const faultAt = Date.now();
    w2.link("wan0").faulty = true;
    w2.link("wan0").blackhole = true;
    await tab.waitForFunction(`document.querySelector('.row[data-id="edge-2"] .c-active')?.getAttribute("data-active") === "lte0"`,
      null, { timeout: 10000, polling: 20 }).catch(async (e) => {
      await tab.screenshot({ path: ROOT + "test-results/dashboard-failure.png" });
      throw new Error(`row did not switch (failover event ${failoverAt ? "seen" : "not seen"}): ${(e as Error).message}`);
    });
    const shownAt = Date.now();
    assert.ok(failoverAt > 0, "the router failed over");
    t.diagnostic(`fault -> failover ${failoverAt - faultAt} ms; failover -> dashboard row ${shownAt - failoverAt} ms`);
    assert.ok(shownAt - failoverAt <= 2000, `row switched ${shownAt - failoverAt} ms after the failover event`);
    await tab.click('.row[data-id="edge-2"]');
    await tab.waitForFunction(`/failover wan0 → lte0/.test(document.getElementById("detail")?.textContent ?? "")`, null, { timeout: 5000 });

    // A message that breaks the schema is shown, not hidden.
    const operator = await connect(broker.url, creds.devices.get("edge-9")!, { reconnectPeriod: 0 });
    operator.publish("routers/edge-9/heartbeat", JSON.stringify({ seq: "seven" }), { qos: 1 });
    await tab.waitForFunction(`/routers\\/edge-9\\/heartbeat/.test(document.getElementById("invalid")?.textContent ?? "")`, null, { timeout: 5000 });
    assert.match(await tab.locator("#invalid").innerText(), /must have required property|must be integer/);
    operator.end(true);

    // Pull edge-3's power: the will marks it offline.
    fleet.powerOff("edge-3");
    await tab.waitForFunction(`document.querySelector('.row[data-id="edge-3"] .c-status')?.getAttribute("data-status") === "offline"`,
      null, { timeout: 20000 });
    assert.match(await tab.locator("#alerts").innerText(), /edge-3: offline/);
    mkdirSync(ROOT + "test-results", { recursive: true });
    await tab.screenshot({ path: ROOT + "test-results/dashboard.png" });
    assert.ok(existsSync(ROOT + "test-results/dashboard.png"));
  } finally {
    await browser.close();
    fleet.close();
    await page.close();
    await broker.stop();
  }
});
