// The dashboard beyond loopback: refused without TLS (and, with TLS, without the console's logins);
// over HTTPS the page and its login form are public, while the broker login (in config.json), the
// history API and /metrics go only to a signed-in session. In Chromium on Mosquitto's wss:// door
// and PostgreSQL: before login the page shows the login and no data; a viewer logs in and sees the fleet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { connect as tlsConnect } from "node:tls";
import { CHROMIUM, launchChromium } from "../../testing/browser/chromium";
import { waitInPage } from "../../testing/browser/wait";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { connect } from "../broker/connect";
import { LiveFleet, DEFAULT_LINKS } from "../../sim/live/fleet";
import { recordBrokerKind, recordBrowser } from "../../testing/environment";
import { serveDashboard } from "../web/dashboard-server";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { startFleetHistory } from "../fleet-history";
import { consoleApi, hasConsoleSession } from "../console/console-api";
import { addOperator } from "../console/operators";
import { CommandSender } from "../console/commands";

const PAGE = { wsUrl: "ws://127.0.0.1:1", username: "dashboard", password: "x", silentMs: 5000 };

/** base64 SHA-256 of a certificate's public key: Chromium's --ignore-certificate-errors-spki-list. */
const spki = (cert: X509Certificate) => createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("base64");

function serverCert(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const c = s.getPeerX509Certificate();
      s.destroy();
      if (c) resolve(c); else reject(new Error("no certificate"));
    });
    s.on("error", reject);
  });
}

test("dashboard off loopback: refused without TLS, and over TLS without logins; it names what to give", async () => {
  await assert.rejects(serveDashboard(PAGE, 0, "0.0.0.0"), /refusing to listen on 0\.0\.0\.0 without TLS: .*--page-tls-cert/);
  await assert.rejects(serveDashboard(PAGE, 0, "192.0.2.1"), /without TLS/);
  const creds = makeCredentials([]);
  const issued = creds.pki.issue("page", { kind: "server", names: ["127.0.0.1"] });
  await assert.rejects(serveDashboard(PAGE, 0, "0.0.0.0", { tls: { cert: issued.certPem, key: issued.keyPem } }), /needs the console's logins/);
  await assert.rejects(serveDashboard(PAGE, 0, "0.0.0.0", { tls: { cert: issued.certPem, key: issued.keyPem }, console: () => false, loggedIn: async () => false }),
    /--page-allow-host/);
});

test("dashboard over HTTPS: data only after a login; a viewer logs in on the page and watches the fleet", async (t) => {
  if (!postgresOrSkip(t)) return;
  if (!CHROMIUM) {
    if (process.env.CI === "true") assert.fail("CI=true but chromium is not installed (apt-get install chromium)");
    recordBrowser("none (chromium not installed: skipped)");
    return t.skip("chromium not installed");
  }
  const pg = await startPostgres();
  const creds = makeCredentials(["tls-0"]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
    db: await pg.createDatabase("pagetls"), shareGroup: null, flushMs: 250, log: () => {} });
  const fleetClient = await connect(broker.url, creds.fleet, { reconnectPeriod: 1000 });
  const sender = new CommandSender(fleetClient, 5000);
  const issued = creds.pki.issue("dashboard", { kind: "server", names: ["127.0.0.1"] });
  const page = await serveDashboard({ wsUrl: broker.wssUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 8000 },
    0, "127.0.0.1", { api: history.handler, console: consoleApi({ db: history.db, sender }), tls: { cert: issued.certPem, key: issued.keyPem },
      loggedIn: hasConsoleSession(history.db) });
  broker.allowOrigins([page.url.replace(/\/$/, "")]);
  const fleet = new LiveFleet([{ deviceId: "tls-0", seed: 5, links: DEFAULT_LINKS, config: { telemetry: { heartbeatMs: 1000, keepAliveS: 5 } } }],
    broker.url, (id) => creds.devices.get(id));
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    assert.match(page.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    await addOperator(history.db, "vera", "viewer", "viewer password 42");
    fleet.start(600000);
    const trust = [spki(new X509Certificate(issued.certPem)), spki(await serverCert(broker.wssPort))];
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${trust.join(",")}`]);
    recordBrowser(`chromium ${browser.version()}`);
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const tab = await ctx.newPage();
    // Without a session: the page is there, what it holds is not.
    await tab.goto(page.url);
    await tab.locator("#conn", { hasText: "log in to watch the live fleet" }).waitFor({ timeout: 10000 });
    const fetchIn = (p: string) => tab.evaluate(async (path) => { const x = await fetch(path); return { status: x.status, body: await x.text() }; }, p);
    for (const path of ["api/history/fleet/routers", "api/history/fleet/timeline", "metrics"]) {
      const r = await fetchIn(path);
      assert.equal(r.status, 401, `${path} without a session`);
    }
    const before = await fetchIn("config.json");
    assert.equal(before.status, 200);
    assert.doesNotMatch(before.body, new RegExp(creds.dashboard.password), "config.json without the broker login before a login");
    assert.equal(JSON.parse(before.body).loginRequired, true);
    assert.equal(await tab.locator("#rows .row").count(), 0, "no routers before the login");

    // A viewer logs in: the page reloads with its data, over wss:// to the broker.
    await tab.locator("#login-name").fill("vera");
    await tab.locator("#login-password").fill("viewer password 42");
    await tab.locator("#login-button").click();
    await tab.locator("#conn", { hasText: "connected" }).waitFor({ timeout: 15000 });
    await tab.locator("#fleet-timeline li").first().waitFor({ timeout: 10000 }); // the history, read once logged in
    await waitInPage(tab, `document.querySelector('.row[data-id="tls-0"]') !== null`, 15000);
    await tab.locator("#login .who", { hasText: "vera (viewer)" }).waitFor({ timeout: 10000 });
    const cookie = (await ctx.cookies()).find((c) => c.name === "fleet_session");
    assert.ok(cookie?.secure && cookie.httpOnly && cookie.sameSite === "Strict", "over HTTPS the session cookie is Secure, HttpOnly, SameSite=Strict");
    assert.equal(JSON.parse((await fetchIn("config.json")).body).password, creds.dashboard.password, "the broker login once signed in");
    assert.equal((await fetchIn("api/history/fleet/routers")).status, 200, "the history once signed in");
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
