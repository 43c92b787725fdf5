// A failover that happens while no browser is open is on the page after a reload: real firmware
// routers on Mosquitto, the collector writing to PostgreSQL, the dashboard (under a strict CSP)
// in Chromium reading the history API from its own origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { CHROMIUM, launchChromium } from "../../testing/browser/chromium";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { LiveFleet, DEFAULT_LINKS } from "../../sim/live/fleet";
import { recordBrokerKind, recordBrowser } from "../../testing/environment";
import { serveDashboard } from "../web/dashboard-server";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { startFleetHistory } from "../fleet-history";
import { REPO_ROOT } from "../paths";
import { sleep } from "../../testing/sleep";


test("history: a failover while no page is open is in the timeline after a reload; charts drawn; no CSP violation", async (t) => {
  if (!postgresOrSkip(t)) return;
  if (!CHROMIUM) {
    if (process.env.CI === "true") assert.fail("CI=true but chromium is not installed (apt-get install chromium)");
    recordBrowser("none (chromium not installed: skipped)");
    t.skip("chromium not installed");
    return;
  }
  const ids = ["edge-1", "edge-2"];
  const pg = await startPostgres();
  const creds = makeCredentials(ids);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
    db: await pg.createDatabase("page"), shareGroup: broker.kind === "mosquitto" ? "page" : null, flushMs: 250, rollupFlushMs: 500, log: (s) => t.diagnostic(s) });
  const fleet = new LiveFleet(ids.map((deviceId, i) => ({ deviceId, seed: i + 21, links: DEFAULT_LINKS,
    config: { telemetry: { heartbeatMs: 1000, keepAliveS: 5 } } })), broker.url, (id) => creds.devices.get(id));
  // The strict policy the dashboard is meant to run under, sent by its server: nothing but its own origin and the broker's
  // WebSocket. Two allowances are for the live view, not the history panel (which needs neither): 'unsafe-eval' for
  // its Ajv (dashboard/src/message-schemas.ts compiles schemas at run time) and blob: workers for MQTT.js's timers.
  // Drop them once the page uses precompiled validators and no timer worker.
  const page = await serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 8000 },
    0, "127.0.0.1", { api: history.handler });
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    fleet.start(600000);
    const db = history.db;
    const waitFor = async (what: string, sql: string, ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if ((await db.query(sql)).length) return;
        await sleep(100);
      }
      assert.fail(`timed out waiting for ${what}`);
    };
    await waitFor("heartbeats of both routers", "SELECT 1 FROM routers WHERE last_heartbeat_at IS NOT NULL HAVING count(*) = 2", 20000);
    await sleep(3000); // a few minutes' worth of rollup rows is not needed: a few points are

    // No browser is open: edge-1's primary goes dark, it fails over, the collector stores it.
    const w = fleet.world("edge-1");
    w.link("wan0").faulty = true;
    w.link("wan0").blackhole = true;
    await waitFor("the stored failover", "SELECT 1 FROM events WHERE router_id = 'edge-1' AND type = 'failover' AND to_link = 'lte0'", 20000);

    browser = await launchChromium();
    recordBrowser(`chromium ${browser.version()}`);
    const tab = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const violations: string[] = [];
    const consoleLines: string[] = [];
    tab.on("console", (m) => { consoleLines.push(m.text()); if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    tab.on("pageerror", (e) => consoleLines.push("page error: " + e.message));

    // Locators, not waitForFunction: the page's CSP forbids the eval that string predicates need.
    const failoverItem = () => tab.locator("#history-timeline li", { hasText: "failover wan0 → lte0" }).first();
    for (const visit of ["first visit", "reload"]) {
      const t0 = Date.now();
      if (visit === "reload") await tab.reload();
      else await tab.goto(`${page.url}#router=edge-1`);
      await failoverItem().waitFor({ timeout: 10000 }).catch(async (e) => {
        await tab.screenshot({ path: REPO_ROOT + "/test-results/history-failure.png", fullPage: true }).catch(() => {});
        const panel = await tab.locator("aside").innerText().catch(() => "?");
        throw new Error(`${(e as Error).message}\npanel: ${panel.slice(0, 1500)}\nconsole: ${consoleLines.join("\n").slice(0, 1500)}`);
      });
      t.diagnostic(`${visit}: failover on the page ${Date.now() - t0} ms after navigation`);
      assert.equal(await tab.locator("#history-router").textContent(), "edge-1");
      assert.ok(await tab.locator('#history-timeline li[data-type="failover"]').count() >= 1);
      assert.ok(await tab.locator('#chart-switches rect.mark.failover').count() >= 1, "failover mark on the switch strip");
      for (const link of ["wan0", "lte0", "wlan0"]) assert.ok(await tab.locator(`#chart-rtt path[data-link="${link}"]`).count() >= 1, `RTT line for ${link}`);
      assert.ok(await tab.locator('#chart-loss path[data-link="lte0"]').count() >= 1);
      await tab.locator('#chart-fleet rect[data-count]:not([data-count="0"])').first().waitFor({ timeout: 5000 });
      assert.match(await tab.locator("#top-switchers").innerText(), /edge-1: \d+ switch/);
      assert.match(await tab.locator("#history-summary").innerText(), /online, on lte0, epoch \d+/);
    }
    // Readable charts: the unit on the axis, the failover across the RTT and loss lines, a window
    // that fits the minute of data (not a day with the points at its edge), values on hover,
    // availability per link, and the fleet's timeline naming the router.
    assert.equal(await tab.locator("#chart-rtt .unit").textContent(), "ms");
    assert.ok(await tab.locator("#chart-rtt line.mark-line.failover").count() >= 1, "failover mark on the RTT chart");
    assert.ok(await tab.locator("#chart-loss line.mark-line.failover").count() >= 1, "failover mark on the loss chart");
    assert.match(await tab.locator("#history-status").innerText(), /showing \d\d:\d\d to \d\d:\d\d, the part of the last hour with data/);
    const svg = tab.locator("#chart-rtt svg");
    const box = await svg.boundingBox();
    assert.ok(box, "the RTT chart is on the page");
    await tab.mouse.move(box.x + box.width * 0.97, box.y + box.height / 2); // the newest minute: the right edge is now
    const hovered = await svg.getAttribute("data-hover");
    assert.match(hovered ?? "", /^\d\d:\d\d \| (wan0|lte0|wlan0) \d+(\.\d)? ms/, `hover text: ${hovered}`);
    assert.ok(await tab.locator("#chart-rtt .hover[visibility=visible] tspan").count() >= 2, "the value box is shown");
    assert.match(await tab.locator('#history-availability tr[data-link="wan0"]').innerText(), /wan0\s+\d+(\.\d)? %/);
    assert.match(await tab.locator('#history-availability tr[data-link="lte0"]').innerText(), /lte0\s+\d+(\.\d)? %/);
    await tab.locator('#fleet-timeline li[data-type="failover"]', { hasText: "edge-1: failover wan0 → lte0" }).first().waitFor({ timeout: 5000 });
    assert.ok(await tab.locator("#chart-fleet-timeline rect.mark.failover").count() >= 1, "failover mark on the fleet timeline");

    // Another router from the page: a click on its row loads its history (no failover there).
    await tab.locator('.row[data-id="edge-2"]').click({ timeout: 15000 }).catch(async (e) => {
      throw new Error(`${(e as Error).message}\nconn: ${await tab.locator("#conn").innerText()}; rows: ${await tab.locator("#n-total").innerText()}\nconsole: ${consoleLines.join("\n").slice(0, 2000)}`);
    });
    await tab.locator("#history-router", { hasText: "edge-2" }).waitFor({ timeout: 5000 });
    await tab.locator("#history-status", { hasText: /\d+ events, / }).waitFor({ timeout: 10000 });
    assert.doesNotMatch(await tab.locator("#history-timeline").innerText(), /failover/);
    assert.match(tab.url(), /#router=edge-2$/, "no range in the URL until one is picked");
    assert.equal(await tab.locator("#history-range").inputValue(), "hour", "a router with minutes of data is shown by the hour");
    mkdirSync(REPO_ROOT + "/test-results", { recursive: true });
    await tab.locator('.row[data-id="edge-1"]').click();
    await failoverItem().waitFor({ timeout: 10000 });
    await tab.screenshot({ path: REPO_ROOT + "/test-results/history.png", fullPage: true });

    // The routers stop: no heartbeat will come. A page opened now still knows when each was last
    // heard and which boot it ran, from the history, instead of "never" and "epoch –".
    fleet.close();
    await sleep(500);
    const fresh = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    fresh.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    await fresh.goto(page.url);
    await fresh.locator('.row[data-id="edge-1"] .c-age', { hasText: /s ago/ }).waitFor({ timeout: 10000 });
    await fresh.locator('.row[data-id="edge-2"] .c-age', { hasText: /s ago/ }).waitFor({ timeout: 10000 });
    // ... and which of them is on a backup uplink, at once: no heartbeat is coming to say so.
    assert.equal(await fresh.locator("#n-backup").textContent(), "1", "the header counts edge-1 on backup from the history");
    await fresh.locator('.row[data-id="edge-1"] .backup-since').waitFor({ timeout: 5000 });
    await fresh.locator('.row[data-id="edge-1"]').click();
    await fresh.locator("#detail", { hasText: /epoch \d+/ }).waitFor({ timeout: 5000 });
    assert.deepEqual(violations, [], "no CSP violations");
  } finally {
    await browser?.close();
    fleet.close();
    await page.close();
    await history.stop();
    await broker.stop();
    await pg.stop();
  }
});
