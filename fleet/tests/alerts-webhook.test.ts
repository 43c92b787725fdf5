// Nobody watching the page is still told: a router loses power, its will marks it offline in the
// history, the collector's /metrics names it, Prometheus (Debian's) fires the shipped rule
// FleetRouterOffline, and Alertmanager (Debian's prometheus-alertmanager) with the shipped
// fleet/ops/alertmanager.yml posts it to a webhook: here a small HTTP server in the test. The
// alert names the router that went, and no other; when it comes back the webhook is told it resolved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { freePort, waitForPort } from "../broker/free-port";
import { recordBrokerKind } from "../../testing/environment";
import { startFleetHistory } from "../fleet-history";
import { LiveFleet, DEFAULT_LINKS } from "../../sim/live/fleet";
import { REPO_ROOT } from "../paths";
import { sleep } from "../../testing/sleep";

const PROMETHEUS = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].find((p) => existsSync(p)) ?? null;
const ALERTMANAGER = ["/usr/bin/prometheus-alertmanager", "/usr/local/bin/alertmanager"].find((p) => existsSync(p)) ?? null;
const IDS = ["alert-0", "alert-1", "alert-2"];
const GONE = "alert-1";

interface Notification { status: string; alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }> }

function run(bin: string, args: string[]): { proc: ChildProcess; log: () => string } {
  let log = "";
  const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  proc.stderr?.on("data", (d) => { log = (log + d).slice(-4000); });
  return { proc, log: () => log };
}

async function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((r) => { p.once("exit", () => r()); p.kill("SIGTERM"); });
}

test("a router goes offline: Prometheus fires FleetRouterOffline and Alertmanager posts it, naming the router, to a webhook", async (t) => {
  if (!postgresOrSkip(t)) return;
  if (!PROMETHEUS || !ALERTMANAGER) {
    const what = !PROMETHEUS ? "prometheus" : "prometheus-alertmanager";
    if (process.env.CI === "true") assert.fail(`CI=true but ${what} is not installed (apt-get install ${what})`);
    return t.skip(`${what} not installed (apt-get install ${what}): alert notification test skipped`);
  }
  const pg = await startPostgres();
  const creds = makeCredentials(IDS);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
    db: await pg.createDatabase("alerts"), shareGroup: broker.kind === "mosquitto" ? "alerts" : null, flushMs: 200, log: () => {} });
  const metrics = createServer((req, res) => { if (!history.handler(req, res)) { res.writeHead(404); res.end(); } });
  await new Promise<void>((r) => metrics.listen(0, "127.0.0.1", () => r()));
  const metricsPort = (metrics.address() as { port: number }).port;

  // The webhook: what Alertmanager posts, kept in order.
  const received: Notification[] = [];
  const hook = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/fleet-alerts") received.push(JSON.parse(body) as Notification);
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const hookPort = (hook.address() as { port: number }).port;

  const dir = mkdtempSync(join(tmpdir(), "fleet-alerts-"));
  const [promPort, amPort] = [await freePort(), await freePort()];
  const fleet = new LiveFleet(IDS.map((deviceId, i) => ({ deviceId, seed: 51 + i, links: DEFAULT_LINKS,
    config: { telemetry: { heartbeatMs: 1000, keepAliveS: 5 } } })), broker.url, (id) => creds.devices.get(id));
  let prom: ReturnType<typeof run> | undefined, am: ReturnType<typeof run> | undefined;
  try {
    // The shipped configs, pointed at this test's ports and made quick: scrape and evaluate every
    // second, the rule's 2 minutes cut to 1 s, Alertmanager's grouping waits to 1 s.
    const promCfg = readFileSync(join(REPO_ROOT, "fleet/ops/prometheus.yml"), "utf8");
    const rules = readFileSync(join(REPO_ROOT, "fleet/ops/fleet-alerts.yml"), "utf8");
    const amCfg = readFileSync(join(REPO_ROOT, "fleet/ops/alertmanager.yml"), "utf8");
    const rule = "max by (router) (time() - fleet_router_offline_since_seconds) > 120";
    assert.ok(rules.includes(rule) && promCfg.includes("127.0.0.1:9093") && amCfg.includes("http://127.0.0.1:9099/fleet-alerts"), "the shipped configs are as this test expects");
    writeFileSync(join(dir, "prometheus.yml"), promCfg.replace("127.0.0.1:9464", `127.0.0.1:${metricsPort}`).replace("127.0.0.1:9093", `127.0.0.1:${amPort}`)
      .replace(/scrape_interval: 15s/, "scrape_interval: 1s").replace(/evaluation_interval: 15s/, "evaluation_interval: 1s"));
    writeFileSync(join(dir, "fleet-alerts.yml"), rules.replace(rule, rule.replace("> 120", "> 1")));
    writeFileSync(join(dir, "alertmanager.yml"), amCfg.replace("http://127.0.0.1:9099/fleet-alerts", `http://127.0.0.1:${hookPort}/fleet-alerts`)
      .replace(/group_wait: \S+/, "group_wait: 1s").replace(/group_interval: \S+/, "group_interval: 1s"));
    am = run(ALERTMANAGER, [`--config.file=${join(dir, "alertmanager.yml")}`, `--storage.path=${join(dir, "am")}`,
      `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address=", "--log.level=warn"]);
    prom = run(PROMETHEUS, [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "prom")}`,
      `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"]);
    await waitForPort(amPort, 20000).catch((e) => { throw new Error(`alertmanager: ${(e as Error).message}\n${am?.log()}`); });
    await waitForPort(promPort, 20000).catch((e) => { throw new Error(`prometheus: ${(e as Error).message}\n${prom?.log()}`); });

    fleet.start(600000);
    const until = Date.now() + 30000;
    const online = async () => (await history.db.query<{ n: number }>("SELECT count(*) FILTER (WHERE online)::int AS n FROM routers"))[0].n;
    while (Date.now() < until && (await online()) < IDS.length) await sleep(200);
    assert.equal(await online(), IDS.length, "every router is online in the history");
    await sleep(3000);
    assert.equal(received.length, 0, "nothing is sent while every router is online");

    // Pull one router's power: the broker sends its will once the keepalive runs out.
    const cutAt = Date.now();
    fleet.powerOff(GONE);
    const firing = () => received.flatMap((n) => n.alerts).filter((a) => a.status === "firing" && a.labels.alertname === "FleetRouterOffline");
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline && firing().length === 0) await sleep(250);
    const alerts = firing();
    assert.ok(alerts.length > 0, `no FleetRouterOffline notification within 60 s (alertmanager: ${am.log().slice(-400)}; prometheus: ${prom.log().slice(-400)})`);
    t.diagnostic(`power off -> webhook notified: ${Date.now() - cutAt} ms (keepalive 5 s, rule threshold 1 s, 1 s scrape and evaluation, 1 s group wait)`);
    assert.deepEqual([...new Set(alerts.map((a) => a.labels.router))], [GONE], "the alert names the router that went, and only it");
    assert.equal(alerts[0].labels.severity, "ticket");
    assert.match(alerts[0].annotations.summary, new RegExp(`^router ${GONE} offline for \\d`));

    // Back on: the will is superseded by its birth, the series goes, and the webhook hears it resolved.
    fleet.powerOn(GONE);
    const resolved = () => received.flatMap((n) => n.alerts).filter((a) => a.status === "resolved" && a.labels.router === GONE);
    const back = Date.now() + 60000;
    while (Date.now() < back && resolved().length === 0) await sleep(250);
    assert.ok(resolved().length > 0, "the webhook was told the alert resolved once the router was back");
  } finally {
    fleet.close();
    await stop(prom?.proc);
    await stop(am?.proc);
    rmSync(dir, { recursive: true, force: true });
    hook.closeAllConnections();
    hook.close();
    metrics.closeAllConnections();
    metrics.close();
    await history.stop();
    await broker.stop();
    await pg.stop();
  }
});
