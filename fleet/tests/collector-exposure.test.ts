// The collector as safe to deploy as the broker (issue 20): its HTTP port answers only to its own
// Host names and, given a token, only with it; it will not listen off loopback without TLS and a
// login; it logs in to the broker with its client certificate (no password); SIGHUP ends it like
// SIGTERM, with its final flush; the history API bounds what callers make the database do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { spawnCollector } from "../../testing/collector-process";
import { devicePublishers } from "./device-publishers";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { writeCredsFile } from "../broker/creds-file";
import { PrivateDir } from "../broker/private-dir";
import { recordBrokerKind } from "../../testing/environment";
import { openDatabase } from "../db/sql";
import { migrate } from "../db/migrate";
import { historyApi } from "../api/history-api";
import { REPO_ROOT } from "../paths";
import { sleep } from "../../testing/sleep";


/** GET with a chosen Host header (fetch would not let a test forge it). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function runCollector(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(REPO_ROOT, "dist/collector.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => { out += d; });
    p.stderr.on("data", (d) => { out += d; });
    const t = setTimeout(() => p.kill("SIGKILL"), 20000);
    p.on("exit", (code) => { clearTimeout(t); resolve({ code, out }); });
  });
}

test("collector HTTP port: a rebinding Host is refused, a token is required when set, off loopback only with TLS and a token; SIGHUP flushes and exits 0", async (t) => {
  if (!postgresOrSkip(t)) return;
  const pg = await startPostgres();
  const creds = makeCredentials(["r1"]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const dbUrl = await pg.createDatabase("expo");
  const dir = mkdtempSync(join(tmpdir(), "collector-expo-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "s3cret-token-of-the-collector\n", { mode: 0o600 });
  const pub = devicePublishers(broker.url, creds);
  const share = broker.kind === "mosquitto" ? ["--group", "expo"] : ["--no-share"];
  const c = await spawnCollector(broker.url, dbUrl, creds.collectors[0], [...share, "--http-token-file", tokenFile]);
  const admin = await openDatabase(dbUrl);
  try {
    const port = new URL(c.httpUrl).port;
    const auth = { authorization: "Bearer s3cret-token-of-the-collector" };
    assert.equal((await get(`${c.httpUrl}/metrics`, { host: `attacker.example:${port}`, ...auth })).status, 421, "a DNS-rebinding page names its own host");
    assert.equal((await get(`${c.httpUrl}/metrics`)).status, 401, "no token");
    assert.equal((await get(`${c.httpUrl}/metrics`, { authorization: "Bearer wrong-token-wrong-token" })).status, 401, "wrong token");
    assert.equal((await get(`${c.httpUrl}/api/history/fleet/routers`, auth)).status, 200);
    assert.equal((await get(`${c.httpUrl}/metrics`, { ...auth, host: `localhost:${port}` })).status, 200);

    // SIGHUP (a closed terminal) ends it like SIGTERM: the heartbeat it holds is flushed first.
    await pub.publishAsync("routers/r1/heartbeat", JSON.stringify({ seq: 1, epoch: 1, uptimeMs: 1000, active: "wan0", configVersion: 1, queued: 0, dropped: 0,
      links: [{ name: "wan0", state: "up", rttMs: 5, lossPct: 0, jitterMs: 1 }] }), { qos: 1 });
    for (let i = 0; i < 50 && (await c.metric("fleet_collector_messages_total")) < 1; i++) await sleep(100);
    const exit = new Promise<number | null>((r) => c.proc.once("exit", (code) => r(code)));
    c.proc.kill("SIGHUP");
    assert.equal(await exit, 0, `SIGHUP ends the collector cleanly:\n${c.log()}`);
    const [row] = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM routers WHERE id = 'r1' AND last_heartbeat_at IS NOT NULL");
    assert.equal(row.n, 1, "its final flush wrote the heartbeat it held");

    // Off loopback: refused without TLS and a login, before connecting anywhere.
    const base = ["--broker", broker.url, "--db", dbUrl, "--username", creds.collectors[1].username, "--http-port", "0", "--no-share"];
    const env = { COLLECTOR_PASSWORD: creds.collectors[1].password };
    const open = await runCollector([...base, "--http-host", "0.0.0.0"], env);
    assert.notEqual(open.code, 0);
    assert.match(open.out, /off loopback the history port needs TLS .* and a login/);
    // A password in the clear to another machine is refused too.
    const plain = await runCollector(["--broker", "mqtt://192.0.2.10:1883", "--db", dbUrl, "--http-port", "0"], env);
    assert.notEqual(plain.code, 0);
    assert.match(plain.out, /plaintext to another machine/);
  } finally {
    pub.end(true);
    await c.stop();
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
    await broker.stop();
    await pg.stop();
  }
});

test("collector logs in to the broker's TLS door with its client certificate (no password sent) and stores what routers send", async (t) => {
  if (!postgresOrSkip(t)) return;
  const pg = await startPostgres();
  const creds = makeCredentials(["r1"]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const dbUrl = await pg.createDatabase("certs");
  const dir = mkdtempSync(join(tmpdir(), "collector-certs-"));
  const me = creds.collectors[0];
  for (const [f, v] of [["ca.pem", broker.caPem], ["c.pem", me.tls?.cert], ["c.key", me.tls?.key]] as const) writeFileSync(join(dir, f), v ?? "", { mode: 0o600 });
  const pub = devicePublishers(broker.url, creds);
  const admin = await openDatabase(dbUrl);
  const credsDir = new PrivateDir("collector-creds-");
  const share = broker.kind === "mosquitto" ? ["--group", "certs"] : ["--no-share"];
  let c: Awaited<ReturnType<typeof spawnCollector>> | null = null;
  try {
    // No password (an empty one in its environment): the certificate is the login.
    c = await spawnCollector(broker.tlsUrl, dbUrl, { username: me.username, password: "" },
      [...share, "--ca", join(dir, "ca.pem"), "--cert", join(dir, "c.pem"), "--key", join(dir, "c.key")]);
    assert.equal(await c.metric("fleet_collector_connected"), 1);
    await pub.publishAsync("routers/r1/event", JSON.stringify({ epoch: 1, seq: 0, atMs: 5, type: "boot", safeMode: false, boots: 1, configVersion: 1 }), { qos: 1 });
    let n = 0;
    for (let i = 0; i < 100 && n < 1; i++) { n = (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE router_id = 'r1'"))[0].n; await sleep(100); }
    assert.equal(n, 1, "the event went through the certificate-authenticated session");
    // npm run broker's creds.json carries a login per collector: a second collector starts from it alone.
    const file = writeCredsFile(credsDir, broker, creds);
    const c2 = await spawnCollector(broker.tlsUrl, dbUrl, { username: creds.collectors[1].username, password: "" }, [...share, "--creds", file]);
    try { assert.equal(await c2.metric("fleet_collector_connected"), 1); } finally { await c2.stop(); }
  } finally {
    pub.end(true);
    await c?.stop();
    credsDir.remove();
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
    await broker.stop();
    await pg.stop();
  }
});

test("history API: a read held up in the database is cancelled at the statement timeout (503); beyond the concurrency cap and its queue, 503 at once", async (t) => {
  if (!postgresOrSkip(t)) return;
  const pg = await startPostgres();
  const db = await openDatabase(await pg.createDatabase("api"));
  await migrate(db);
  let server: Server | null = null;
  let release = () => {};
  try {
    const h = historyApi({ db: () => db, statementTimeoutMs: 1000, maxConcurrent: 2, maxQueued: 1 });
    server = createServer((req, res) => { if (!h(req, res)) { res.writeHead(404); res.end(); } });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // Another session holds the table (a heavy writer, a long report): the week view waits on it.
    const held = db.transaction(async (q) => {
      await q.query("LOCK TABLE link_minutes IN ACCESS EXCLUSIVE MODE");
      await new Promise<void>((r) => { release = r; setTimeout(r, 8000); });
    });
    await sleep(200);
    const answers = await Promise.all([1, 2, 3, 4].map(() => get(`${url}/api/history/routers/r1/links?range=week`)));
    release();
    await held;
    const statuses = answers.map((a) => a.status).sort();
    t.diagnostic(answers.map((a) => `${a.status} ${a.body}`).join(" | "));
    assert.deepEqual(statuses, [503, 503, 503, 503]);
    assert.equal(answers.filter((a) => /busy/.test(a.body)).length, 1, "one over the cap and the queue, answered at once");
    assert.equal(answers.filter((a) => /longer than 1000 ms/.test(a.body)).length, 3, "two running and the one that waited, each cancelled by the statement timeout");
    assert.equal((await get(`${url}/api/history/routers/r1/links?range=week`)).status, 200, "and the API answers again");
  } finally {
    release();
    server?.close();
    await db.close();
    await pg.stop();
  }
});

test("the embedded history database (PGlite) is a private directory: 0700, whatever the umask", async () => {
  const parent = mkdtempSync(join(tmpdir(), "pglite-mode-"));
  const dir = join(parent, "history");
  const old = process.umask(0);
  try {
    const db = await openDatabase(dir);
    await db.close();
  } finally {
    process.umask(old);
  }
  try {
    assert.equal((statSync(dir).mode & 0o777).toString(8), "700");
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
