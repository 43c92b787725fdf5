// The console in Chromium on real Mosquitto and PostgreSQL: an operator logs in, forces a failover
// from the page and sees the router's own reply and the audit row; a config push shows its changes
// before it is confirmed; a viewer sees no actions and is refused (and audited) when it tries
// anyway; sessions expire. The page at 420 and 1440 px wide (screenshots in test-results/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { CHROMIUM, launchChromium } from "../../testing/browser/chromium";
import { REPO_ROOT } from "../paths";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { connect } from "../broker/connect";
import { LiveFleet, DEFAULT_LINKS } from "../../sim/live/fleet";
import { recordBrokerKind, recordBrowser } from "../../testing/environment";
import { serveDashboard } from "../web/dashboard-server";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { startFleetHistory } from "../fleet-history";
import { consoleApi, hasConsoleSession } from "../console/console-api";
import { addOperator, login, sessionOf } from "../console/operators";
import { CommandSender } from "../console/commands";
import { sleep } from "../../testing/sleep";

const ID = "site-7";

test("console: operator fails a router over from the page and sees its reply and the audit row; a viewer cannot; sessions expire", async (t) => {
  if (!postgresOrSkip(t)) return;
  if (!CHROMIUM) {
    if (process.env.CI === "true") assert.fail("CI=true but chromium is not installed (apt-get install chromium)");
    recordBrowser("none (chromium not installed: skipped)");
    return t.skip("chromium not installed");
  }
  const pg = await startPostgres();
  const creds = makeCredentials([ID, "edge-0"]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
    db: await pg.createDatabase("console"), shareGroup: null, flushMs: 250, rollupFlushMs: 500, log: () => {} });
  const db = history.db;
  const fleetClient = await connect(broker.url, creds.fleet, { reconnectPeriod: 1000 });
  const sender = new CommandSender(fleetClient, 10000);
  const fleet = new LiveFleet([ID, "edge-0"].map((deviceId, i) => ({ deviceId, seed: 31 + i, links: DEFAULT_LINKS,
    config: { telemetry: { heartbeatMs: 1000, keepAliveS: 5 } } })), broker.url, (id) => creds.devices.get(id));
  const page = await serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 8000 },
    0, "127.0.0.1", { api: history.handler, console: consoleApi({ db, sender }), loggedIn: hasConsoleSession(db) });
  broker.allowOrigins([page.url.replace(/\/$/, "")]);
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    await addOperator(db, "olga", "operator", "correct horse battery");
    await addOperator(db, "victor", "viewer", "staple viewer password");
    fleet.start(600000);
    const world = fleet.world(ID);
    for (let i = 0; i < 100 && world.view()?.active !== "wan0"; i++) await sleep(100);
    assert.equal(world.view()?.active, "wan0", "the router runs on its primary");

    browser = await launchChromium();
    recordBrowser(`chromium ${browser.version()}`);
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const tab = await ctx.newPage();
    const violations: string[] = [];
    tab.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    await tab.goto(`${page.url}#router=${ID}`);
    await tab.locator("#actions-box", { hasText: "log in to act" }).waitFor({ timeout: 10000 });
    // Nobody logged in: no broker login for the page, nor for a program that forges the browser's header.
    await tab.locator("#conn", { hasText: "log in to watch the live fleet" }).waitFor({ timeout: 5000 });
    const forgedConfig = await (await fetch(`${page.url}config.json`, { headers: { "sec-fetch-site": "same-origin" } })).text();
    assert.doesNotMatch(forgedConfig, new RegExp(creds.dashboard.password), "config.json without a console session holds no broker password");
    assert.equal((JSON.parse(forgedConfig) as { loginRequired?: boolean }).loginRequired, true);

    // A wrong password is refused on the page and audited.
    await tab.locator("#login-name").fill("olga");
    await tab.locator("#login-password").fill("wrong password!");
    await tab.locator("#login-button").click();
    await tab.locator(".login-msg", { hasText: "wrong name or password" }).waitFor({ timeout: 10000 });
    await tab.locator("#login-password").fill("correct horse battery");
    await tab.locator("#login-button").click();
    await tab.locator("#login .who", { hasText: "olga (operator)" }).waitFor({ timeout: 10000 });
    const cookie = (await ctx.cookies()).find((c) => c.name === "fleet_session");
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === "Strict", "session cookie is HttpOnly, SameSite=Strict");
    await tab.locator("#conn", { hasText: "connected" }).waitFor({ timeout: 10000 });

    // Fail over to lte0 from the page: the answer shown is the router's reply; the router moved.
    await tab.locator('#action-link option[value="lte0"]').waitFor({ state: "attached", timeout: 15000 });
    await tab.locator("#action-link").selectOption("lte0");
    await tab.locator("#action-failover").click();
    await tab.locator("#action-result", { hasText: `failover: ${ID} replied ok` }).waitFor({ timeout: 15000 });
    for (let i = 0; i < 50 && world.view()?.active !== "lte0"; i++) await sleep(100);
    assert.equal(world.view()?.active, "lte0", "the router is on the link the operator chose");
    await tab.locator("#audit li", { hasText: `olga failover ${ID}: ok` }).waitFor({ timeout: 10000 });
    // At a glance: on backup since when, and first when sorted by time on backup.
    await tab.locator(`.row[data-id="${ID}"] .backup-since`, { hasText: /backup since \d/ }).waitFor({ timeout: 5000 });
    assert.equal(await tab.locator("#rows .row").first().getAttribute("data-id"), "edge-0", "by router id first");
    await tab.locator("#sort").selectOption("backup");
    await tab.locator("#rows .row").first().and(tab.locator(`[data-id="${ID}"]`)).waitFor({ timeout: 5000 });

    // A config push shows what changes, then goes out on confirmation and the router applies it.
    await tab.locator("#config-text").fill(JSON.stringify({ telemetry: { heartbeatMs: 1500, keepAliveS: 5 } }));
    assert.equal(await tab.locator("#config-push").isDisabled(), true, "no push before the changes were shown");
    await tab.locator("#config-diff").click();
    await tab.locator("#config-changes li", { hasText: "/telemetry/heartbeatMs: null → 1500" }).waitFor({ timeout: 10000 }).catch(async (e) => {
      throw new Error(`${(e as Error).message}\nactions: ${await tab.locator("#actions-box").innerText()}`);
    });
    await tab.locator("#config-push").click();
    await tab.locator("#action-result", { hasText: `config: ${ID} replied ok` }).waitFor({ timeout: 15000 });

    const rows = await db.query<{ operator: string; role: string; action: string; router_id: string; outcome: string; reply: string; request: string }>(
      "SELECT operator, role, action, router_id, outcome, reply, request FROM audit ORDER BY id");
    assert.deepEqual(rows.map((r) => `${r.operator}/${r.action}/${r.outcome}`), ["olga/login/refused", "olga/login/ok", "olga/failover/ok", "olga/config-push/ok"]);
    const fo = rows[2];
    assert.equal(fo.router_id, ID);
    assert.match(fo.request, /"link":"lte0"/);
    // Dated for the router's boot and expiring a minute after it was sent (on the router's clock).
    assert.match(fo.request, /"epoch":\d+,"bootId":"[0-9a-f]{16}","expiresAtMs":\d+/);
    assert.equal(/"bootId":"([0-9a-f]{16})"/.exec(fo.request)?.[1], world.view()?.bootId, "the boot the router runs");
    assert.match(fo.reply, /"cmd":"cmd\/failover","ok":true/);
    assert.equal((await db.query("SELECT 1 FROM router_configs WHERE router_id = $1 AND pushed_by = 'olga'", [ID])).length, 1);

    // Sites and tags from the page: saved (audited), shown on the row, a group to filter by; a
    // reload takes them from the history.
    await tab.locator("#label-site").fill("north");
    await tab.locator("#label-tags").fill("lte-only, rooftop");
    await tab.locator("#label-save").click();
    await tab.locator("#action-result", { hasText: `labels: ${ID} is at north, tagged lte-only, rooftop` }).waitFor({ timeout: 10000 });
    await tab.locator(`.row[data-id="${ID}"] .site-label`, { hasText: "north" }).waitFor({ timeout: 5000 });
    await tab.locator('#groups li[data-group="site:north"]', { hasText: "site: north: 1 router, 0 offline or silent, 1 on backup" }).waitFor({ timeout: 5000 });
    await tab.locator("#group").selectOption("tag:rooftop");
    await tab.locator('#rows .row[data-id="edge-0"]').waitFor({ state: "hidden", timeout: 5000 });
    assert.deepEqual(await tab.locator("#rows .row:visible").evaluateAll((rs) => rs.map((r) => (r as unknown as { dataset: { id: string } }).dataset.id)), [ID],
      "only the tagged router in its group");
    await tab.reload();
    await tab.locator('#group option[value="site:north"]').waitFor({ state: "attached", timeout: 10000 });
    await tab.locator("#group").selectOption("site:north");
    await tab.locator('#rows .row[data-id="edge-0"]').waitFor({ state: "hidden", timeout: 5000 });
    assert.deepEqual((await db.query<{ action: string; outcome: string }>("SELECT action, outcome FROM audit WHERE operator = 'olga' ORDER BY id DESC LIMIT 1"))
      .map((r) => `${r.action}/${r.outcome}`), ["labels/ok"]);
    await tab.locator("#group").selectOption("");
    await tab.locator('#rows .row[data-id="edge-0"]').waitFor({ timeout: 5000 });

    // The console at a phone's width and at a wall's: nothing wider than the window.
    for (const width of [420, 1440]) {
      await tab.setViewportSize({ width, height: 900 });
      await sleep(300);
      const wide = await tab.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
      const shot = join(REPO_ROOT, "test-results", `console-${width}.png`);
      mkdirSync(dirname(shot), { recursive: true });
      await tab.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`page at ${width} px: ${wide} px wide (${shot})`);
      assert.ok(wide <= width, `at ${width} px the page is ${wide} px wide`);
    }

    // A viewer: logged in, no action controls, and a forged request is refused and audited.
    const vctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const vtab = await vctx.newPage();
    await vtab.goto(`${page.url}#router=${ID}`);
    await vtab.locator("#login-name").fill("victor");
    await vtab.locator("#login-password").fill("staple viewer password");
    await vtab.locator("#login-button").click();
    await vtab.locator("#login .who", { hasText: "victor (viewer)" }).waitFor({ timeout: 10000 });
    await vtab.locator("#actions-box", { hasText: "viewer: you can watch, not act" }).waitFor({ timeout: 5000 });
    assert.equal(await vtab.locator("#action-failover").count(), 0, "no failover button for a viewer");
    const vcookie = (await vctx.cookies()).find((c) => c.name === "fleet_session");
    const forged = await fetch(`${page.url}api/console/routers/${ID}/failover`, { method: "POST",
      headers: { "content-type": "application/json", cookie: `fleet_session=${vcookie?.value}`, "sec-fetch-site": "same-origin" }, body: '{"link":"wan0"}' });
    assert.equal(forged.status, 403);
    assert.equal(world.view()?.active, "lte0", "the viewer's request changed nothing");
    const forgedLabels = await fetch(`${page.url}api/console/routers/${ID}/labels`, { method: "POST",
      headers: { "content-type": "application/json", cookie: `fleet_session=${vcookie?.value}`, "sec-fetch-site": "same-origin" }, body: '{"site":"south"}' });
    assert.equal(forgedLabels.status, 403, "a viewer cannot relabel a router");
    assert.equal((await db.query<{ site: string }>("SELECT site FROM router_labels WHERE router_id = $1", [ID]))[0].site, "north");
    const denied = await db.query<{ outcome: string }>("SELECT outcome FROM audit WHERE operator = 'victor' AND action = 'failover'");
    assert.deepEqual(denied.map((r) => r.outcome), ["denied"]);
    // Cross-site: refused before anything else.
    const cross = await fetch(`${page.url}api/console/routers/${ID}/failover`, { method: "POST",
      headers: { "content-type": "application/json", cookie: `fleet_session=${cookie?.value}`, "sec-fetch-site": "cross-site" }, body: '{"link":"wan0"}' });
    assert.equal(cross.status, 403);

    // Sessions expire.
    const short = await login(db, "olga", "correct horse battery", 300);
    assert.ok(short && (await sessionOf(db, short.token))?.name === "olga");
    await sleep(600);
    assert.equal(await sessionOf(db, short?.token), null, "an expired session logs nobody in");
    const expiredConfig = await (await fetch(`${page.url}config.json`, { headers: { "sec-fetch-site": "same-origin", cookie: `fleet_session=${short?.token}` } })).text();
    assert.doesNotMatch(expiredConfig, new RegExp(creds.dashboard.password), "nor gets the broker login");
    assert.deepEqual(violations, [], "no CSP violations");
  } finally {
    await browser?.close();
    fleet.close();
    sender.close();
    fleetClient.end(true);
    await page.close();
    await history.stop();
    await broker.stop();
    await pg.stop();
  }
});
