// Every command-line tool says what went wrong: --help exits 0 with the usage on stdout, an unknown
// flag exits 2 naming it, a broker that cannot be reached (nothing listening, a login it refuses)
// is an error with the reason and a non-zero exit, and the README's commands work as written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../paths";
import { freePort } from "../broker/free-port";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { writeCredsFile } from "../broker/creds-file";
import { PrivateDir } from "../broker/private-dir";
import { recordBrokerKind } from "../../testing/environment";
import { postgresBin, startPostgres } from "../../testing/postgres-server";

const TOOLS = ["sim", "fleet", "bench", "start", "broker", "pki", "provision", "collector", "operator"];
const SCENARIO = join(REPO_ROOT, "sim/scenarios/primary-blackhole.json");
const run = (tool: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(REPO_ROOT, "dist", tool + ".js"), ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60000 });

for (const tool of TOOLS) {
  test(`${tool}: --help prints the usage and exits 0; an unknown flag exits 2 naming it`, () => {
    const h = run(tool, ["--help"]);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /^usage: /);
    assert.equal(h.stderr, "");
    const u = run(tool, ["--no-such-flag"]);
    assert.equal(u.status, 2, u.stderr);
    assert.match(u.stderr, /^error: unknown option --no-such-flag\nusage: /);
    assert.equal(u.stdout, "", "nothing on stdout");
  });
}

test("bench: a class or traffic profile that does not exist is refused with the allowed values", () => {
  const c = run("bench", ["--realistic", "--class", "nope"]);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /--class nope: no class id contains it \(allowed: blackhole, .*boot, traces\)/);
  const t = run("bench", ["--realistic", "--traffic", "heavy"]);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /allowed: idle, busy, mixed/);
});

test("sim, fleet and collector: nothing listening at the broker's address is an error with the reason, exit 1", async () => {
  const url = `mqtt://127.0.0.1:${await freePort()}`;
  const sim = run("sim", [SCENARIO, "--broker", url, "--json"], { MQTT_PASSWORD: "x" });
  assert.equal(sim.status, 1, sim.stderr);
  assert.match(sim.stderr, new RegExp(`cannot connect to ${url}: connect ECONNREFUSED`));
  assert.equal(sim.stdout, "", "no result printed");
  const fleet = run("fleet", ["--routers", "3", "--broker", url, "--duration-ms", "60000"]);
  assert.equal(fleet.status, 1, fleet.stdout + fleet.stderr);
  assert.match(fleet.stderr, /cannot connect to .*ECONNREFUSED/);
  assert.doesNotMatch(fleet.stdout, /done/);
  const db = postgresBin() ? await startPostgres() : null;
  try {
    const dbUrl = db ? await db.createDatabase("cli") : "memory:";
    const col = run("collector", ["--broker", url, "--db", dbUrl, "--http-port", "0"], { COLLECTOR_PASSWORD: "x" });
    assert.equal(col.status, 1, col.stderr);
    assert.match(col.stderr, /could not connect to .*ECONNREFUSED/);
  } finally {
    await db?.stop();
  }
});

test("sim --broker with a password the broker refuses: an error naming the refusal, exit 1", async () => {
  const creds = makeCredentials(["cli-router"]);
  const broker = await startBroker(creds);
  recordBrokerKind(broker);
  try {
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, [join(REPO_ROOT, "dist/sim.js"), SCENARIO, "--broker", broker.url, "--device-id", "cli-router"],
        { env: { ...process.env, MQTT_PASSWORD: "wrong" } });
      let out = "", err = "";
      p.stdout.on("data", (d) => { out += d; });
      p.stderr.on("data", (d) => { err += d; });
      p.on("exit", (code) => resolve({ code, out, err }));
    });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: .*(Not authorized|Bad username or password)/i);
  } finally {
    await broker.stop();
  }
});

test("README: the collector runs with the creds.json the broker wrote; sim --json prints only JSON", async (t) => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  assert.doesNotMatch(readme, /broker-creds\.json/, "the README names the file npm run broker writes");
  const jsonLine = "npm run -s sim -- sim/scenarios/primary-blackhole.json --json";
  assert.ok(readme.includes(jsonLine), "the README's --json command");
  const sim = spawnSync("sh", ["-c", jsonLine], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120000 });
  assert.equal(sim.status, 0, sim.stderr);
  const result = JSON.parse(sim.stdout) as { scenario: string };
  assert.equal(result.scenario, "primary-blackhole");

  if (!postgresBin()) return t.skip("PostgreSQL not installed: the collector half skipped");
  const creds = makeCredentials(["r1"]);
  const broker = await startBroker(creds);
  const dir = new PrivateDir("cli-creds-");
  const pg = await startPostgres();
  try {
    const file = writeCredsFile(dir, broker, creds);
    const db = await pg.createDatabase("readme");
    const args = ["--broker", broker.url, "--db", db, "--creds", file, "--http-port", "0", ...(broker.kind === "mosquitto" ? [] : ["--no-share"])];
    const p = spawn(process.execPath, [join(REPO_ROOT, "dist/collector.js"), ...args]);
    let out = "";
    p.stdout.on("data", (d) => { out += d; });
    p.stderr.on("data", (d) => { out += d; });
    const exited = new Promise<number | null>((r) => p.on("exit", (code) => r(code)));
    const started = await Promise.race([
      new Promise<boolean>((resolve) => p.stdout.on("data", () => { if (/collector collector-1 on /.test(out)) resolve(true); })),
      exited.then(() => false),
    ]);
    assert.ok(started, `the collector started with --creds: ${out}`);
    p.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    dir.remove();
    await broker.stop();
    await pg.stop();
  }
});
