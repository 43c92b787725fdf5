// A real Prometheus (Debian's package) scrapes a collector's /metrics with the sample config in
// fleet/ops, and PromQL over its HTTP API returns the fleet's online count; every expression of the
// sample Grafana dashboard parses and the sample alert rules load.
import { devicePublishers } from "./device-publishers";
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, postgresOrSkip } from "../../testing/postgres-server";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { freePort, waitForPort } from "../broker/free-port";
import { recordBrokerKind } from "../../testing/environment";
import { startFleetHistory } from "../fleet-history";
import { REPO_ROOT } from "../paths";
import { sleep } from "../../testing/sleep";

const PROMETHEUS = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].find((p) => existsSync(p)) ?? null;

test("Prometheus scrapes /metrics; PromQL returns the online count; the sample dashboard's queries and alert rules load", async (t) => {
  if (!postgresOrSkip(t)) return;
  if (!PROMETHEUS) {
    if (process.env.CI === "true") assert.fail("CI=true but prometheus is not installed (apt-get install prometheus)");
    t.skip("prometheus not installed (apt-get install prometheus): metrics scrape test skipped");
    return;
  }
  const pg = await startPostgres();
  const creds = makeCredentials(["p0", "p1", "p2", "p3", "p4"]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  const history = await startFleetHistory({ brokerUrl: broker.url, username: creds.collectors[0].username, password: creds.collectors[0].password,
    db: await pg.createDatabase("prom"), shareGroup: broker.kind === "mosquitto" ? "prom" : null, flushMs: 200, log: () => {} });
  const server = createServer((req, res) => { if (!history.handler(req, res)) { res.writeHead(404); res.end(); } });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const metricsPort = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), "fleet-prom-"));
  const promPort = await freePort();
  const prom = { proc: null as ReturnType<typeof spawn> | null, log: "" };
  const pub = devicePublishers(broker.url, creds);
  try {
    // Five routers say hello and heartbeat; one of them then goes offline (its will); one is on its backup.
    for (let i = 0; i < 5; i++) {
      await pub.publishAsync(`routers/p${i}/birth`, JSON.stringify({ firmware: "1.0", configVersion: 1, safeMode: false, boots: 1, epoch: 1, birthSeq: 0, links: ["wan0", "lte0"] }), { qos: 1 });
      pub.publish(`routers/p${i}/heartbeat`, JSON.stringify({ seq: 1, epoch: 1, uptimeMs: 5000, active: i === 3 ? "lte0" : "wan0", configVersion: 1,
        links: [{ name: "wan0", state: i === 3 ? "down" : "up", rttMs: 12, lossPct: 0, jitterMs: 1 }, { name: "lte0", state: "up", rttMs: 60, lossPct: 1, jitterMs: 8 }],
        queued: 0, dropped: 0 }), { qos: 0 });
    }
    await sleep(500);
    await pub.publishAsync("routers/p4/state", JSON.stringify({ online: false }), { qos: 1 });
    await pub.publishAsync("routers/p0/heartbeat", "{not json", { qos: 0 });

    // The sample config, pointed at this collector and scraping every second.
    const sample = readFileSync(join(REPO_ROOT, "fleet/ops/prometheus.yml"), "utf8");
    assert.match(sample, /127\.0\.0\.1:9464/);
    writeFileSync(join(dir, "prometheus.yml"), sample.replace("127.0.0.1:9464", `127.0.0.1:${metricsPort}`).replace(/scrape_interval: 15s/, "scrape_interval: 1s")
      .replace(/evaluation_interval: 15s/, "evaluation_interval: 1s"));
    copyFileSync(join(REPO_ROOT, "fleet/ops/fleet-alerts.yml"), join(dir, "fleet-alerts.yml"));
    prom.proc = spawn(PROMETHEUS, [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"], { stdio: ["ignore", "ignore", "pipe"] });
    prom.proc.stderr?.on("data", (d) => { prom.log += d; });
    await waitForPort(promPort, 20000);
    // The port opens before the storage is ready; until then the API answers 503 ("Service Unavailable", not JSON).
    for (const end = Date.now() + 20000; Date.now() < end; await sleep(200)) {
      if ((await fetch(`http://127.0.0.1:${promPort}/-/ready`).catch(() => null))?.status === 200) break;
    }
    const api = async (path: string) => (await (await fetch(`http://127.0.0.1:${promPort}${path}`)).json()) as { status: string; data: any; error?: string };
    const query = async (q: string) => api(`/api/v1/query?query=${encodeURIComponent(q)}`);

    let online: string | null = null;
    const until = Date.now() + 30000;
    while (Date.now() < until) {
      const r = await query('max(fleet_routers{state="online"})');
      online = r.data?.result?.[0]?.value?.[1] ?? null;
      if (online === "4") break;
      await sleep(500);
    }
    assert.equal(online, "4", `PromQL online count (prometheus log: ${prom.log.slice(-500)})`);
    assert.equal((await query('max(fleet_routers{state="offline"})')).data.result[0].value[1], "1");
    assert.equal((await query("max(fleet_routers_on_backup)")).data.result[0].value[1], "1");
    assert.equal((await query('sum(fleet_collector_rejected_total{reason="json"})')).data.result[0].value[1], "1");
    assert.equal((await query('up{job="fleet-collector"}')).data.result[0].value[1], "1");
    // Bounded labels: a router id only in the per-router offline series, and only for the router offline.
    const series = await api(`/api/v1/series?match[]=${encodeURIComponent('{job="fleet-collector"}')}`);
    const named = (series.data as Array<Record<string, string>>).filter((s) => Object.values(s).some((v) => /^p[0-4]$/.test(v)));
    assert.deepEqual(named.map((s) => `${s.__name__}/${s.router}`), ["fleet_router_offline_since_seconds/p4"], "router ids in labels");
    t.diagnostic(`${series.data.length} series from one collector`);

    // Every query of the sample Grafana dashboard is valid PromQL, and the alert rules loaded.
    const dash = JSON.parse(readFileSync(join(REPO_ROOT, "fleet/ops/grafana-dashboard.json"), "utf8")) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    for (const p of dash.panels) for (const target of p.targets) {
      const r = await query(target.expr);
      assert.equal(r.status, "success", `${p.title}: ${target.expr}: ${r.error}`);
    }
    const rules = await api("/api/v1/rules");
    const all = rules.data.groups.flatMap((g: { rules: Array<{ name: string; health: string }> }) => g.rules);
    assert.ok(all.length >= 5, "the alert rules loaded");
  } finally {
    pub.end(true);
    if (prom.proc && prom.proc.exitCode === null) await new Promise<void>((r) => { prom.proc?.once("exit", () => r()); prom.proc?.kill("SIGTERM"); });
    rmSync(dir, { recursive: true, force: true });
    server.closeAllConnections();
    server.close();
    await history.stop();
    await broker.stop();
    await pg.stop();
  }
});
