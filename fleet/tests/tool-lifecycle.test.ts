// The tools as an operator and a service manager use them (issue 11, items 14 and 15): SIGINT and
// SIGTERM end `npm start`, `npm run broker`, `npm run sim -- --broker` and `npm run fleet` with exit
// code 0, every child (Mosquitto) and temp dir gone and every port released, also with a dashboard's
// WebSocket open; no secret is printed; credentials are 0600 in a private dir outside the repo,
// removed on exit; no password on a command line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { connect } from "../broker/connect";
import { accepts } from "../broker/free-port";
import { mosquittoPath } from "../broker/broker";
import { readCredsFile } from "../broker/creds-file";
import { recordBrokerKind } from "../../testing/environment";
import { ROOT } from "../../testing/scenario-runs";
import { until } from "../../testing/broker";
import { sleep } from "../../testing/sleep";

const DIST = join(ROOT, "dist");

class Tool {
  readonly proc: ChildProcess;
  out = "";
  err = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, [join(DIST, script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d) => { this.out += d; });
    this.proc.stderr!.on("data", (d) => { this.err += d; });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code, signal) => resolve({ code, signal })));
  }

  get pid(): number { return this.proc.pid as number; }

  async waitFor(re: RegExp, timeoutMs = 20000): Promise<RegExpExecArray> {
    let m: RegExpExecArray | null = null;
    const ok = await until(() => (m = re.exec(this.out) ?? re.exec(this.err)) !== null || this.proc.exitCode !== null, timeoutMs);
    if (!ok || !m) throw new Error(`no ${re} from ${this.proc.spawnargs.slice(1).join(" ")} (exit ${this.proc.exitCode})\nstdout: ${this.out}\nstderr: ${this.err}`);
    return m;
  }

  /** Signal it; resolves with how it ended (or fails after `timeoutMs`, killing it). */
  async signal(sig: NodeJS.Signals, timeoutMs = 15000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.proc.kill(sig);
    const r = await Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
    if (r === null) {
      this.proc.kill("SIGKILL");
      throw new Error(`still running ${timeoutMs} ms after ${sig}\nstdout: ${this.out}\nstderr: ${this.err}`);
    }
    return r;
  }
}

/** Children of `pid` (from /proc, as `ps --ppid`). */
function childrenOf(pid: number): Array<{ pid: number; cmd: string }> {
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push({ pid: Number(d), cmd: readFileSync(`/proc/${d}/cmdline`, "utf8").replaceAll("\0", " ").trim() });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");

function assertPrivate(file: string): void {
  assert.equal(statSync(file).mode & 0o777, 0o600, `${file} mode`);
  assert.equal(statSync(dirname(file)).mode & 0o777, 0o700, `${dirname(file)} mode`);
  assert.ok(relative(ROOT, file).startsWith(".."), `${file} is inside the repository`);
}

function secretsOf(credsFile: string): string[] {
  const c = JSON.parse(readFileSync(credsFile, "utf8")) as { fleet?: { password: string }; tools: Array<{ password: string }>; dashboard: { password: string }; devices: Record<string, { password: string }> };
  return [...(c.fleet ? [c.fleet.password] : []), ...c.tools.map((x) => x.password), c.dashboard.password, ...Object.values(c.devices).map((d) => d.password)];
}

async function assertReleased(ports: number[]): Promise<void> {
  for (const p of ports) assert.equal(await accepts(p, "127.0.0.1", 1000), false, `port ${p} still answers`);
}

for (const [sig, withMosquitto] of [["SIGINT", false], ["SIGTERM", true]] as const) {
  test(`npm start (${withMosquitto ? "Mosquitto" : "embedded broker"}) with a dashboard connected: ${sig} ends it cleanly, secrets never printed`, async (t) => {
    if (withMosquitto && !mosquittoPath()) {
      if (process.env.CI === "true") assert.fail("CI=true but mosquitto is not installed");
      t.skip("mosquitto not installed");
      return;
    }
    const tool = new Tool("start.js", ["--routers", "2", "--port", "0", ...(withMosquitto ? ["--mosquitto"] : [])]);
    try {
      const [, kind, tlsUrl, wsUrl] = await tool.waitFor(/broker\s+(\S+).*?: (mqtts:\/\/\S+) .*dashboards (ws:\/\/\S+)/);
      // The embedded run is npm start's zero-install default, chosen on purpose: only a Mosquitto run
      // is recorded, so the CI check still catches a broker test that fell back.
      assert.equal(kind === "mosquitto", withMosquitto, `npm start chose broker ${kind}`);
      if (withMosquitto) recordBrokerKind({ kind: "mosquitto", version: "(npm start)" } as never);
      const [, pageUrl] = await tool.waitFor(/dashboard (http:\/\/\S+)/);
      const [, credsFile] = await tool.waitFor(/MQTT clients.*?: (\/\S+creds\.json)/);
      assertPrivate(credsFile);
      const secrets = secretsOf(credsFile);
      const creds = readCredsFile(credsFile);
      const mosq = childrenOf(tool.pid).filter((c) => c.cmd.includes("mosquitto"));
      assert.equal(mosq.length, withMosquitto ? 1 : 0, `mosquitto children: ${JSON.stringify(mosq)}`);
      const mosqDir = mosq[0] ? /-c (\S+)\/mosquitto\.conf/.exec(mosq[0].cmd)?.[1] : undefined;
      // A dashboard's MQTT session over WebSockets, and an MQTT client over TLS, open at the signal.
      const page = await connect(wsUrl, creds.dashboard!, { clientId: "dashboard-test", reconnectPeriod: 0 });
      // The console holds the fleet login; tools get their own, so none of them can take its session.
      assert.equal(creds.fleet, null, "npm start hands out no fleet login");
      assert.deepEqual(creds.tools.map((x) => x.username), ["fleet-1", "fleet-2", "fleet-3", "fleet-4"]);
      const operator = await connect(tlsUrl, creds.tools[0], { reconnectPeriod: 0 });
      await sleep(1500);
      const ports = [Number(new URL(tlsUrl).port), Number(new URL(wsUrl).port), Number(new URL(pageUrl).port)];
      const end = await tool.signal(sig);
      page.end(true);
      operator.end(true);
      assert.deepEqual(end, { code: 0, signal: null }, `exit after ${sig}; stderr: ${tool.err}`);
      assert.doesNotMatch(tool.err, /TypeError|is not a function|Unhandled|ERR_/, "errors while stopping");
      assert.ok(!existsSync(dirname(credsFile)), "credentials dir left behind");
      for (const c of mosq) assert.ok(!alive(c.pid), `mosquitto ${c.pid} left running`);
      if (mosqDir) assert.ok(!existsSync(mosqDir), `${mosqDir} left behind`);
      await assertReleased(ports);
      for (const secret of secrets) assert.ok(!tool.out.includes(secret) && !tool.err.includes(secret), "a password was printed");
      assert.doesNotMatch(tool.out + tool.err, /PRIVATE KEY/, "a key was printed");
    } finally {
      if (tool.proc.exitCode === null) tool.proc.kill("SIGKILL");
    }
  });
}

test("npm run broker, npm run fleet and npm run sim -- --broker over TLS: SIGTERM and SIGINT end each cleanly", async () => {
  const broker = new Tool("broker.js", ["--devices", "3"]);
  const tools: Tool[] = [broker];
  let watcher: Awaited<ReturnType<typeof connect>> | null = null;
  try {
    await broker.waitFor(/^ready$/m);
    const [, tlsUrl] = await broker.waitFor(/(mqtts:\/\/\S+)/);
    const [, wsUrl] = await broker.waitFor(/(ws:\/\/\S+)/);
    const [, credsFile] = await broker.waitFor(/: (\/\S+creds\.json)/);
    assertPrivate(credsFile);
    for (const f of readdirSync(dirname(credsFile))) assert.equal(statSync(join(dirname(credsFile), f)).mode & 0o777, 0o600, f);
    const secrets = secretsOf(credsFile);
    const dir = dirname(credsFile);
    const mosq = childrenOf(broker.pid).filter((c) => c.cmd.includes("mosquitto"));
    const creds = readCredsFile(credsFile);

    // The fleet tool, its routers logging in with their certificates.
    watcher = await connect(tlsUrl, creds.fleet!, { reconnectPeriod: 0 });
    const births: string[] = [];
    watcher.on("message", (topic) => births.push(topic));
    await watcher.subscribeAsync("routers/+/birth", { qos: 1 });
    const fleet = new Tool("fleet.js", ["--routers", "2", "--broker", tlsUrl, "--creds", credsFile, "--duration-ms", "600000"]);
    tools.push(fleet);
    assert.ok(await until(() => births.length >= 2, 15000), `fleet routers connected: ${births}`);
    assert.deepEqual(await fleet.signal("SIGINT"), { code: 0, signal: null }, fleet.err);
    assert.match(fleet.out, /^done: \d+ events/m);

    // One router by scenario, with its certificate (router-0002).
    births.length = 0;
    const sim = new Tool("sim.js", [join(ROOT, "sim/scenarios/demo-outage.json"), "--broker", tlsUrl, "--device-id", "router-0002",
      "--ca", join(dir, "ca.pem"), "--cert", join(dir, "router-0002.pem"), "--key", join(dir, "router-0002.key"), "--json"]);
    tools.push(sim);
    assert.ok(await until(() => births.includes("routers/router-0002/birth"), 15000), "the sim router connected over TLS");
    assert.deepEqual(await sim.signal("SIGTERM"), { code: 0, signal: null }, sim.err);
    assert.equal((JSON.parse(sim.out) as { scenario: string }).scenario, "demo-outage", "the summary of the part that ran");

    // A password from the environment, never on the command line (where `ps` shows it).
    const pw = (creds.devices.get("router-0001") as { password: string }).password;
    const refused = new Tool("sim.js", [join(ROOT, "sim/scenarios/demo-outage.json"), "--broker", "mqtt://127.0.0.1:1", "--password", "hunter2"]);
    tools.push(refused);
    assert.equal((await refused.exited).code, 2);
    assert.match(refused.err, /--password would be visible .*\$MQTT_PASSWORD.*--password-file/);
    const devUrl = /(mqtt:\/\/127\S+)/.exec(broker.out)![1];
    births.length = 0;
    const byEnv = new Tool("sim.js", [join(ROOT, "sim/scenarios/demo-outage.json"), "--broker", devUrl, "--device-id", "router-0001"], { MQTT_PASSWORD: pw });
    tools.push(byEnv);
    assert.ok(await until(() => births.includes("routers/router-0001/birth"), 15000), "the sim router logged in with the password from $MQTT_PASSWORD");
    assert.ok(!readFileSync(`/proc/${byEnv.pid}/cmdline`, "utf8").includes(pw), "password on the command line");
    assert.deepEqual(await byEnv.signal("SIGINT"), { code: 0, signal: null }, byEnv.err);
    // Plain MQTT to another machine is refused before anything is sent.
    const plain = new Tool("sim.js", [join(ROOT, "sim/scenarios/demo-outage.json"), "--broker", "mqtt://192.0.2.77:1883"], { MQTT_PASSWORD: "x" });
    tools.push(plain);
    assert.equal((await plain.exited).code, 2);
    assert.match(plain.err, /plaintext to another machine: use mqtts:\/\//);
    watcher.end(true);

    // And the broker itself.
    const ports = [Number(new URL(tlsUrl).port), Number(new URL(wsUrl).port), Number(new URL(devUrl).port)];
    assert.deepEqual(await broker.signal("SIGTERM"), { code: 0, signal: null }, broker.err);
    assert.ok(!existsSync(dir), "credentials dir left behind");
    for (const c of mosq) assert.ok(!alive(c.pid), `mosquitto ${c.pid} left running`);
    await assertReleased(ports);
    for (const tool of tools) {
      for (const secret of secrets) assert.ok(!tool.out.includes(secret) && !tool.err.includes(secret), `${tool.proc.spawnargs[1]} printed a password`);
    }
  } finally {
    watcher?.end(true);
    for (const tool of tools) if (tool.proc.exitCode === null) tool.proc.kill("SIGKILL");
  }
});

test("npm run broker killed outright (SIGKILL): Mosquitto does not outlive it", async (t) => {
  if (!mosquittoPath()) {
    if (process.env.CI === "true") assert.fail("CI=true but mosquitto is not installed");
    t.skip("mosquitto not installed");
    return;
  }
  const broker = new Tool("broker.js", ["--devices", "1"]);
  const leftovers: string[] = [];
  try {
    await broker.waitFor(/^ready$/m);
    leftovers.push(dirname((await broker.waitFor(/: (\/\S+creds\.json)/))[1]));
    const [, tlsUrl] = await broker.waitFor(/(mqtts:\/\/\S+)/);
    const mosq = childrenOf(broker.pid).filter((c) => c.cmd.includes("mosquitto"));
    assert.equal(mosq.length, 1);
    leftovers.push(/-c (\S+)\/mosquitto\.conf/.exec(mosq[0].cmd)![1]);
    broker.proc.kill("SIGKILL");
    await broker.exited;
    assert.ok(await until(() => !alive(mosq[0].pid), 5000), `mosquitto ${mosq[0].pid} outlived its parent`);
    await assertReleased([Number(new URL(tlsUrl).port)]);
    // Its private dirs stay (nothing runs after SIGKILL): this run's throwaway keys, mode 0700.
    for (const d of leftovers) assert.equal(statSync(d).mode & 0o777, 0o700);
  } finally {
    if (broker.proc.exitCode === null) broker.proc.kill("SIGKILL");
    for (const d of leftovers) rmSync(d, { recursive: true, force: true });
  }
});
