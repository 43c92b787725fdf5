// The fleet dashboard in a real browser (Debian's chromium driven by playwright-core) against
// Mosquitto's WebSocket listener and live simulated routers; then, without a browser, the bounds
// on what one device can make the dashboard keep and the server's rules for its login.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM, launchChromium } from "../../testing/browser/chromium";
import { waitInPage } from "../../testing/browser/wait";
import { brokerFor, connect } from "../../testing/broker";
import { LiveFleet, DEFAULT_LINKS } from "../../sim/live/fleet";
import { dashboardDir, serveDashboard } from "../web/dashboard-server";
import { FleetState } from "../../dashboard/src/fleet-state";
import { recordBrokerKind, recordBrowser } from "../../testing/environment";
import { ROOT } from "../../testing/scenario-runs";

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
  // edge-2's LTE backup is metered: the page shows what the router spent on it against its budget.
  const fleet = new LiveFleet(ids.map((deviceId, i) => ({ deviceId, seed: i + 11, links: DEFAULT_LINKS,
    config: { telemetry: { heartbeatMs: 2000, keepAliveS: 5 },
      ...(deviceId === "edge-2" ? { links: { lte0: { budget: { bytes: 50000000 } } } } : {}) } })), broker.url, (id) => creds.devices.get(id));
  const page = await serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 8000 });
  const browser = await launchChromium();
  recordBrowser(`chromium ${browser.version()}`);
  try {
    fleet.start(600000);
    mkdirSync(ROOT + "test-results", { recursive: true });
    const tab = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    await tab.goto(page.url);
    const cell = (id: string, cls: string) => tab.locator(`.row[data-id="${id}"] .${cls}`);
    await waitInPage(tab, `document.querySelectorAll('#rows .row[data-id] .c-status[data-status="online"]').length === 3`, 15000);
    for (const id of ids) assert.equal(await cell(id, "c-active").getAttribute("data-active"), "wan0");

    // Blackhole edge-2's primary; time from the router's failover event to the row showing lte0.
    const w2 = fleet.world("edge-2");
    let failoverAt = 0;
    w2.onEvent((e) => { if (e.type === "failover" && !failoverAt) failoverAt = Date.now(); });
    const faultAt = Date.now();
    w2.link("wan0").faulty = true;
    w2.link("wan0").blackhole = true;
    await waitInPage(tab, `document.querySelector('.row[data-id="edge-2"] .c-active')?.getAttribute("data-active") === "lte0"`,
      10000, 20).catch(async (e) => {
      await tab.screenshot({ path: ROOT + "test-results/dashboard-failure.png" });
      throw new Error(`row did not switch (failover event ${failoverAt ? "seen" : "not seen"}): ${(e as Error).message}`);
    });
    const shownAt = Date.now();
    assert.ok(failoverAt > 0, "the router failed over");
    t.diagnostic(`fault -> failover ${failoverAt - faultAt} ms; failover -> dashboard row ${shownAt - failoverAt} ms`);
    await tab.click('.row[data-id="edge-2"]');
    await waitInPage(tab, `/failover wan0 → lte0/.test(document.getElementById("detail")?.textContent ?? "")`, 5000);
    await waitInPage(tab, `/MB of 50 MB \\(\\d+ %\\)/.test(document.getElementById("detail")?.textContent ?? "")`, 5000);

    // A message that breaks the schema is shown, not hidden.
    const operator = await connect(broker.url, creds.devices.get("edge-9")!, { reconnectPeriod: 0 });
    operator.publish("routers/edge-9/heartbeat", JSON.stringify({ seq: "seven" }), { qos: 1 });
    await waitInPage(tab, `/routers\\/edge-9\\/heartbeat/.test(document.getElementById("invalid")?.textContent ?? "")`, 5000);
    assert.match(await tab.locator("#invalid").innerText(), /must have required property|must be integer/);
    operator.end(true);

    // Pull edge-3's power: the will marks it offline.
    fleet.powerOff("edge-3");
    await waitInPage(tab, `document.querySelector('.row[data-id="edge-3"] .c-status')?.getAttribute("data-status") === "offline"`,
      20000);
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

// ---- What one device can make the dashboard keep, and who may read its login (no browser) ----

const beat = (links: number, extra: Record<string, unknown> = {}) => JSON.stringify({ seq: 1, epoch: 1, uptimeMs: 1, active: "l0",
  configVersion: 1, links: Array.from({ length: links }, (_, i) => ({ name: "l" + i, state: "up", rttMs: 1, lossPct: 0, jitterMs: 0 })),
  queued: 0, dropped: 0, ...extra });
const event = (epoch: number, seq: number, to = "lte0") => JSON.stringify({ epoch, seq, atMs: 1, type: "failover", from: "wan0", to, reason: "r" + seq });

test("fleet state: links per router, messages kept, error text and message size are bounded; bytes are measured before parsing", () => {
  const s = new FleetState();
  const L = s.limits;
  assert.deepEqual([L.links, L.invalidKept, L.textChars, L.messageBytes], [16, 20, 300, 16384]);
  s.ingest("routers/r1/heartbeat", new TextEncoder().encode(beat(200)), 1);
  const r = s.rows.get("r1")!;
  assert.equal(r.links.length, 16, "links kept");
  assert.equal(r.linkCount, 200, "links sent");

  // Over the byte cap: dropped before decoding, counted, shown; the row keeps its last heartbeat.
  const big = new TextEncoder().encode(beat(100000));
  // Refused on its byte count: never parsed, and only the head that is shown decoded (what that
  // costs is npm run bench's figure).
  const parse = JSON.parse, decode = TextDecoder.prototype.decode;
  let parsed = 0, decoded = 0;
  JSON.parse = (...a: Parameters<typeof JSON.parse>) => (parsed++, parse(...a));
  type Decode = typeof decode;
  TextDecoder.prototype.decode = function (this: InstanceType<typeof TextDecoder>, ...a: Parameters<Decode>) {
    decoded += a[0]?.byteLength ?? 0;
    return decode.apply(this, a);
  } as Decode;
  try {
    s.ingest("routers/r1/heartbeat", big, 2);
  } finally {
    JSON.parse = parse;
    TextDecoder.prototype.decode = decode;
  }
  assert.equal(parsed, 0, "parsed");
  assert.ok(decoded <= L.textChars, `${decoded} bytes decoded`);
  assert.equal(s.dropped.tooLarge, 1);
  assert.equal(r.linkCount, 200);
  assert.match(s.invalid.at(-1)!.error, /^\d+ bytes, over the 16384-byte limit: dropped unparsed$/);
  assert.ok(s.invalid.at(-1)!.payload.length <= L.textChars + 1);

  // 30 invalid messages, each with an error list far longer than is kept: the newest 20 stay, clipped.
  for (let i = 0; i < 30; i++) {
    s.ingest("routers/r1/heartbeat", beat(0, { links: Array.from({ length: 100 }, () => ({ name: 1, state: "bogus", rttMs: -1, lossPct: 500, jitterMs: -1 })) }), 3 + i);
  }
  assert.equal(s.invalid.length, 20);
  assert.equal(s.invalidTotal, 31);
  for (const m of s.invalid) assert.ok(m.error.length <= L.textChars + 1 && m.payload.length <= L.textChars + 1, m.error);
  assert.match(s.invalid.at(-1)!.error, /and \d+ more$/);

  // Invalid UTF-8, an overlong router id, long names: refused or clipped.
  s.ingest("routers/r2/state", new Uint8Array([0x7b, 0xff, 0x7d]), 40);
  assert.equal(s.dropped.notUtf8, 1);
  s.ingest(`routers/${"x".repeat(500)}/heartbeat`, beat(1), 41);
  assert.equal(s.dropped.badTopic, 1);
  assert.equal(s.rows.has("x".repeat(500)), false);
  s.ingest("routers/r3/heartbeat", beat(0, { active: "a".repeat(5000), links: [{ name: "n".repeat(5000), state: "up", rttMs: 1, lossPct: 0, jitterMs: 0 }] }), 42);
  assert.ok(s.rows.get("r3")!.active!.length <= L.nameChars + 1 && s.rows.get("r3")!.links[0].name.length <= L.nameChars + 1);
});

test("fleet state: an event with epoch 1e308 (or any bogus later boot) does not blind the dashboard to that router", () => {
  const s = new FleetState();
  s.ingest("routers/r1/heartbeat", beat(2, { epoch: 3 }), 1);
  s.ingest("routers/r1/event", event(3, 0), 2);
  s.ingest("routers/r1/event", `{"epoch":1e308,"seq":0,"atMs":1,"type":"failover","from":"wan0","to":"evil","reason":"x"}`, 3);
  assert.match(s.invalid.at(-1)!.error, /\/epoch must be <= 2147483647/);
  s.ingest("routers/r1/event", event(3, 1, "wan0"), 4);
  const r = s.rows.get("r1")!;
  assert.deepEqual(r.timeline.map((e) => e.text), ["failover wan0 → lte0 (r0)", "failover wan0 → wan0 (r1)"]);

  // Within the bound, a bogus later boot is followed only until the router says which boot it is in.
  s.ingest("routers/r1/event", event(4000000000, 0, "evil"), 5);
  s.ingest("routers/r1/event", event(3, 2, "lte0"), 6); // the router's own boot (its heartbeat said 3)
  assert.equal(r.epoch, 3);
  assert.equal(r.active, "lte0");
  s.ingest("routers/r1/event", event(4000000000, 1, "evil"), 7);
  s.ingest("routers/r1/heartbeat", beat(2, { epoch: 3, active: "lte0" }), 8);
  assert.equal(r.epoch, 3, "a heartbeat resynchronises the boot");
  s.ingest("routers/r1/event", event(3, 3, "wan0"), 9);
  assert.equal(r.timeline.at(-1)!.text, "failover wan0 → wan0 (r3)");
  // A real reboot (a later epoch that the router then confirms) is still followed.
  s.ingest("routers/r1/event", event(4, 0, "wan0"), 10);
  assert.equal(r.epoch, 4);
  assert.equal(r.gaps, 0);
});

function get(url: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("dashboard server: security headers; config.json only to same-origin fetches with the server's own Host, its broker login only with a console session; page kept in memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dash-page-"));
  for (const f of readdirSync(dashboardDir())) copyFileSync(join(dashboardDir(), f), join(dir, f));
  const page = await serveDashboard({ wsUrl: "wss://broker.example:8884", username: "dashboard", password: "s3cret", silentMs: 1 }, 0, "127.0.0.1", { dir });
  try {
    const self = new URL(page.url);
    const same = { "sec-fetch-site": "same-origin" };
    const index = await get(page.url, "/");
    assert.equal(index.status, 200);
    const csp = String(index.headers["content-security-policy"]);
    for (const d of ["default-src 'none'", "script-src 'self'", "connect-src 'self' wss://broker.example:8884", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe/);
    assert.equal(index.headers["x-content-type-options"], "nosniff");
    assert.equal(index.headers["referrer-policy"], "no-referrer");
    assert.equal(index.headers["x-frame-options"], "DENY");

    const ok = await get(page.url, "/config.json", same);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).password, "s3cret");
    assert.equal(ok.headers["cache-control"], "no-store");
    const refused: Array<[string, Record<string, string>]> = [
      ["no fetch metadata (curl, an old client)", {}],
      ["a cross-site fetch", { "sec-fetch-site": "cross-site" }],
      ["a typed-in URL", { "sec-fetch-site": "none" }],
      ["another origin", { ...same, origin: "http://evil.example" }],
    ];
    for (const [what, h] of refused) {
      const r = await get(page.url, "/config.json", h);
      assert.equal(r.status, 403, what);
      assert.doesNotMatch(r.body, /s3cret/, what);
    }
    // DNS rebinding: a page of evil.example whose name now points here still says Host: evil.example.
    for (const host of ["evil.example", `evil.example:${self.port}`, `127.0.0.1:${Number(self.port) + 1}`]) {
      const r = await get(page.url, "/config.json", { ...same, host });
      assert.equal(r.status, 421, host);
      assert.doesNotMatch(r.body, /s3cret/);
    }
    assert.equal((await get(page.url, "/config.json", { ...same, host: `localhost:${self.port}` })).status, 200);
    assert.equal((await get(page.url, "/config.json", same, "POST")).status, 405);
    assert.equal((await get(page.url, "/../server.js")).status, 404);

    // `npm run build` deletes dist/ while `npm start` serves it: the running server has its copy.
    rmSync(dir, { recursive: true, force: true });
    const js = await get(page.url, "/app.js");
    assert.equal(js.status, 200);
    assert.ok(js.body.length > 1000);
  } finally {
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // With a console (npm start): the broker login only to a request with a live console session;
  // a program that forges the browser's header gets the page's settings without it.
  const gated = await serveDashboard({ wsUrl: "ws://127.0.0.1:1", username: "dashboard", password: "s3cret", silentMs: 1 }, 0, "127.0.0.1",
    { loggedIn: async (req) => req.headers.cookie === "fleet_session=live" });
  try {
    const forged = await get(gated.url, "/config.json", { "sec-fetch-site": "same-origin" });
    assert.equal(forged.status, 200);
    assert.doesNotMatch(forged.body, /s3cret|"username"/, "no broker login without a console session");
    assert.deepEqual(JSON.parse(forged.body), { wsUrl: "ws://127.0.0.1:1", silentMs: 1, loginRequired: true });
    const stale = await get(gated.url, "/config.json", { "sec-fetch-site": "same-origin", cookie: "fleet_session=expired" });
    assert.doesNotMatch(stale.body, /s3cret/, "an expired or unknown session gets no login either");
    const session = await get(gated.url, "/config.json", { "sec-fetch-site": "same-origin", cookie: "fleet_session=live" });
    assert.equal(JSON.parse(session.body).password, "s3cret");
    assert.equal((await get(gated.url, "/config.json", { cookie: "fleet_session=live" })).status, 403, "still same-origin fetches only");
  } finally {
    await gated.close();
  }
  await assert.rejects(serveDashboard({ wsUrl: "ws://127.0.0.1:1", silentMs: 1 }, 0, "0.0.0.0"), /refusing to listen on 0\.0\.0\.0 without TLS/);
  await assert.rejects(serveDashboard({ wsUrl: "javascript:alert(1)", silentMs: 1 }), /ws:\/\/ or wss:\/\//);
  await assert.rejects(serveDashboard({ wsUrl: "ws://127.0.0.1:1", silentMs: 1 }, 0, "127.0.0.1", { dir: join(tmpdir(), "no-such-dashboard") }), /run npm run build/);
});
