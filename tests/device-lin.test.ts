// The device build, compiled and run by the real Moddable toolchain: the SDK's host tools, the app
// compiled for lin with mcconfig, the esp32 JavaScript side compiled and linked (xsl), and the lin
// app run headless (mcsim under xvfb-run) against Mosquitto on loopback, its uplinks real paths
// (one loopback address each, answered by TCP/HTTP/DNS responders) cut for real with iptables.
// Without the SDK (neither $MODDABLE nor ../shared/moddable-sdk) or the tools the run needs, one
// line says what was skipped; under CI=true that is a failure.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomInt } from "node:crypto";
import type { MqttClient } from "mqtt";
import { ROOT } from "../testing/scenario-runs";
import { brokerFor, connect, until, FleetWatcher, type TestBroker } from "../testing/broker";
import { sleep } from "../testing/sleep";
import { recordBrokerKind, recordDevice } from "../testing/environment";
import { mosquittoPath } from "../fleet/broker/broker";
import { LinApp } from "../testing/device/lin-app";
import { startPathResponders, type PathResponders } from "../testing/device/path-responders";
import { Blackholes, iptablesUsable } from "../testing/device/blackhole";
import { commandMissing, deviceBuild, ensureTools, LIN_APP, sdkSource, type BuildResult } from "../testing/device/device-sdk";

const CI = process.env.CI === "true";
const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as {
  modules: Record<string, string | string[]>;
  preload: string[];
  creation: { chunk: { initial: number }; heap: { initial: number }; keys: { initial: number } };
  platforms: Record<string, { modules?: Record<string, string | string[]>; preload?: string[] }>;
};

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => join(dir, f));
}

/** Module name -> source path (no extension) of one platform's build, as mcconfig resolves them. */
function modulesFor(platform: string): Map<string, string> {
  const out = new Map<string, string>();
  const add = (mods: Record<string, string | string[]> | undefined) => {
    for (const [target, src] of Object.entries(mods ?? {})) {
      for (const s of [src].flat()) {
        const path = s.replace(/^\.\//, "");
        if (target.endsWith("/*")) out.set(target.slice(0, -1) + path.split("/").pop(), path);
        else out.set(target, path);
      }
    }
  };
  add(manifest.modules);
  add(manifest.platforms[platform]?.modules);
  return out;
}

describe("device manifest (no SDK needed)", () => {
  for (const platform of ["esp32", "lin"]) {
    it(`${platform}: every firmware module under src/ is built and preloaded by its path, and no JSON file is`, () => {
      const mods = modulesFor(platform);
      const preload = new Set([...manifest.preload, ...(manifest.platforms[platform]?.preload ?? [])]);
      for (const f of tsFiles("src")) {
        const name = f.slice(0, -3);
        assert.equal(mods.get(name), name, `${f} is not in manifest.json modules as "${name}" (mcconfig would not build it)`);
        // Not preloaded, a module's functions and objects would be built in the 4,928-slot heap.
        assert.ok(preload.has(name), `${name} is not preloaded (the linker only preloads .ts modules named exactly)`);
      }
      for (const [name, path] of mods) {
        assert.ok(!/\.json$|tsconfig|schema/.test(path), `${name} -> ${path}: no schema or tsconfig in the firmware`);
        if (name.startsWith("src/") || name.startsWith("hardware/")) {
          assert.equal(name, path, `${name} must be named by its path (${path}) so its relative imports resolve`);
        }
      }
    });
  }

  it("each hardware module belongs to the platforms that can run it", () => {
    const esp32 = modulesFor("esp32");
    const lin = modulesFor("lin");
    for (const f of tsFiles("hardware")) {
      const name = f.slice(0, -3);
      if (name.startsWith("hardware/build/")) continue;
      const builtAs = (mods: Map<string, string>) => [...mods.values()].includes(name);
      const where = [builtAs(esp32) ? "esp32" : "", builtAs(lin) ? "lin" : ""].filter(Boolean);
      assert.ok(where.length > 0, `${f} is built for no platform`);
    }
    assert.ok(!lin.has("hardware/modem/at-modem"), "lin has no embedded:io/digital: the AT modem is esp32 only");
    assert.equal(esp32.get("main"), "hardware/boot");
    assert.equal(lin.get("main"), "hardware/desktop/boot");
  });
});

interface Heartbeat { seq: number; epoch: number; active: string | null; heap?: number; chunk?: number; configVersion: number; queued: number }

describe("device build on the real Moddable toolchain", { timeout: 30 * 60 * 1000 }, () => {
  const sdk = sdkSource(ROOT);
  const missing: string[] = [];
  if (!sdk) missing.push("the Moddable SDK (set $MODDABLE or provide ../shared/moddable-sdk)");
  for (const cmd of ["make", "cc", "git"]) if (commandMissing(cmd)) missing.push(cmd);
  // Running the app needs more than building it.
  const missingToRun: string[] = [];
  for (const cmd of ["xvfb-run", "stdbuf"]) if (commandMissing(cmd)) missingToRun.push(cmd);
  if (!mosquittoPath()) missingToRun.push("mosquitto");
  const noIptables = iptablesUsable();
  if (noIptables) missingToRun.push(noIptables);

  if (missing.length > 0) {
    it("skipped", (t) => {
      const line = `device tests skipped: missing ${missing.join(", ")}`;
      if (CI) assert.fail(`CI=true but ${line}`);
      recordDevice(`none (${line})`);
      t.skip(line);
    });
    return;
  }
  /** For the steps that run the app: the one line that says why they did not. */
  const cannotRun = (t: { skip: (why: string) => void }): boolean => {
    if (missingToRun.length === 0) return false;
    const line = `device app not run: missing ${missingToRun.join(", ")}`;
    if (CI) assert.fail(`CI=true but ${line}`);
    recordDevice(`built only (${line})`);
    t.skip(line);
    return true;
  };

  const work = join(ROOT, "build/moddable/test");
  const prefsDir = join(ROOT, LIN_APP.prefs);
  const deviceId = "lin-router-1";
  const net = `127.${randomInt(64, 250)}.${randomInt(1, 250)}`;
  const links = { wan0: `${net}.1`, lte0: `${net}.2` };
  const holes = new Blackholes();
  const figures: string[] = [];
  let lib = "";
  let mcsim = "";
  let linBuilt = false;
  let tb: TestBroker | null = null;
  let watcher: FleetWatcher | null = null;
  let fleet: MqttClient | null = null;
  const responders: PathResponders[] = [];
  let app: LinApp | null = null;

  const heartbeats = (): Heartbeat[] => (watcher?.raw ?? [])
    .filter((m) => m.topic === `routers/${deviceId}/heartbeat`).map((m) => JSON.parse(m.payload) as Heartbeat);
  const events = () => (watcher?.raw ?? []).filter((m) => m.topic === `routers/${deviceId}/event`)
    .map((m) => JSON.parse(m.payload) as { epoch: number; seq: number; type: string; from?: string | null; to?: string; reason?: string });
  const states = () => (watcher?.raw ?? []).filter((m) => m.topic === `routers/${deviceId}/state`)
    .map((m) => JSON.parse(m.payload) as { online: boolean; active?: string | null });
  const births = () => (watcher?.raw ?? []).filter((m) => m.topic === `routers/${deviceId}/birth`)
    .map((m) => JSON.parse(m.payload) as { epoch: number; configVersion: number; boots: number; links: string[] });
  const replies = () => (watcher?.raw ?? []).filter((m) => m.topic === `routers/${deviceId}/reply`)
    .map((m) => JSON.parse(m.payload) as { cmd: string; ok: boolean; id?: string; error?: string });

  /** Wait for `cond`, failing with the app's recent output; fails at once if the app aborted. */
  async function expect(what: string | (() => string), cond: () => boolean, timeoutMs: number): Promise<void> {
    const held = await until(() => cond() || app?.aborted != null, timeoutMs);
    const name = typeof what === "string" ? what : what();
    if (app?.aborted) assert.fail(`${name}: the app aborted (${app.aborted})\n${app.tail()}`);
    if (!held) assert.fail(`${name}: not within ${timeoutMs} ms\n--- app output ---\n${app?.tail() ?? "(not running)"}`);
  }

  function provision(): void {
    mkdirSync(prefsDir, { recursive: true });
    const creds = tb!.creds.devices.get(deviceId)!;
    writeFileSync(join(prefsDir, "modpreferences.json"), JSON.stringify({
      router: {
        id: deviceId, mqttHost: "127.0.0.1", mqttPort: String(tb!.broker.port), mqttUser: creds.username, mqttPass: creds.password,
        links: `wan0:ethernet:${links.wan0},lte0:lte:${links.lte0}`,
      },
    }));
  }

  // The two builds run side by side (about 40 s less than one after the other on two cores),
  // after the tools they share.
  let builds: Promise<[BuildResult, BuildResult]> | null = null;
  let toolsLine = "";
  before(async () => {
    rmSync(prefsDir, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const tools = await ensureTools(ROOT, 10 * 60 * 1000);
    if ("error" in tools) {
      const failed: BuildResult = { ok: false, output: tools.error, seconds: 0 };
      builds = Promise.resolve([failed, failed]);
      return;
    }
    toolsLine = tools.seconds ? `SDK tools ${tools.seconds.toFixed(1)} s (install.sh, cached after the first run)` : "SDK tools from $MODDABLE";
    // 20 min: a loaded 2-core machine took over 10 for the lin build (the esp32 one runs beside it).
    const limit = 20 * 60 * 1000;
    builds = Promise.all([
      deviceBuild(ROOT, tools.dir, ["lin", "--out", join(ROOT, LIN_APP.out), "--prefs-dir", prefsDir, "--quiet"], limit),
      deviceBuild(ROOT, tools.dir, ["esp32", "--out", join(work, "esp32"), "--quiet"], limit),
    ]);
  });

  after(async () => {
    await app?.kill();
    holes.restoreAll();
    watcher?.client.end(true);
    await Promise.all(responders.map((r) => r.close()));
    await tb?.broker.stop();
    for (const f of figures) console.log(`device: ${f}`);
  });

  it("builds the SDK tools, compiles the app for lin with mcconfig", async () => {
    const [r] = await builds!;
    assert.ok(r.ok, `device:build lin failed:\n${r.output.slice(-6000)}`);
    const m = /lin built in ([\d.]+) s: (\S+)/.exec(r.output);
    const run = /run it headless: xvfb-run -a stdbuf -oL (\S+) (\S+)/.exec(r.output);
    assert.ok(m && run, `no build summary in:\n${r.output.slice(-3000)}`);
    lib = run[2];
    mcsim = run[1];
    assert.ok(existsSync(lib), lib);
    figures.push(`${toolsLine}; lin app ${m[1]} s (${r.seconds.toFixed(1)} s with the script, alongside the esp32 build)`);
    linBuilt = true;
  });

  it("compiles and links the esp32 JavaScript side (tsc, xsc, xsl) with no errors", async () => {
    const [, r] = await builds!;
    assert.ok(r.ok, `device:build esp32 failed:\n${r.output.slice(-6000)}`);
    assert.doesNotMatch(r.output, /### error|### Error|typescript compile failure/);
    const m = /esp32 (?:JavaScript side \(tsc, xsc, xsl\)|firmware) built in ([\d.]+) s(?:: (\S+))?/.exec(r.output);
    assert.ok(m, r.output.slice(-3000));
    if (m[2]) {
      const xs = readFileSync(m[2], "utf8");
      // The linked archive holds the firmware's own modules by name.
      for (const name of ["hardware/main", "hardware/ports/uplinks", "src/router", "hardware/modem/at-modem"]) assert.ok(xs.includes(name), `${name} not linked`);
      assert.ok(!xs.includes("device-config.schema"), "no schema JSON in the firmware");
    }
    figures.push(`esp32 JavaScript side ${m[1]} s (alongside the lin build)`);
  });

  it("runs headless against Mosquitto: birth, retained state, heartbeats with heap and chunk in the esp32 creation, a command answered", async (t) => {
    if (cannotRun(t)) return;
    if (!linBuilt) return t.skip("lin build failed");
    tb = await brokerFor([deviceId]);
    recordBrokerKind(tb.broker);
    // 443 too: the default config (before the config/set below) probes tcp port 443.
    responders.push(...await startPathResponders(Object.values(links), [443]));
    watcher = await FleetWatcher.start(tb.broker.url, tb.creds.fleet);
    // The broker ties client id to login: the watcher's session is the fleet's one connection.
    fleet = watcher.client;
    provision();
    app = new LinApp(mcsim, lib, join(work, "mcsim-config"));
    app.start();
    recordDevice(`lin app on mcsim (xvfb-run), links ${links.wan0} ${links.lte0}`);

    await expect("birth", () => births().length > 0, 60000);
    const birth = births()[0];
    assert.deepEqual(birth.links, ["wan0", "lte0"]);
    await expect("retained state online", () => states().some((s) => s.online), 10000);
    await expect("an active uplink", () => states().some((s) => s.online && s.active === "wan0"), 30000);
    await expect("two heartbeats", () => heartbeats().length >= 2, 30000);

    // A command, dated from the heartbeats as the console dates it, answered on .../reply.
    fleet!.publish(`routers/${deviceId}/cmd/probe-now`, JSON.stringify(watcher!.dated(deviceId, { id: "p1" })), { qos: 1 });
    await expect("the probe-now reply", () => replies().some((r) => r.id === "p1"), 15000);
    assert.deepEqual(replies().find((r) => r.id === "p1"), { cmd: "cmd/probe-now", ok: true, id: "p1" });
    fleet!.publish(`routers/${deviceId}/cmd/failover`, JSON.stringify(watcher!.dated(deviceId, { id: "bad", link: "nope0" })), { qos: 1 });
    await expect("the refusal", () => replies().some((r) => r.id === "bad"), 15000);
    assert.equal(replies().find((r) => r.id === "bad")?.ok, false);
    assert.match(String(replies().find((r) => r.id === "bad")?.error), /no uplink named 'nope0'/);

    // The retained state is there for a client that comes later.
    const late = await connect(tb.broker.url, { username: "dashboard", password: tb.creds.dashboard.password }, { clientId: "late-reader" });
    const retained = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no retained state")), 10000);
      late.on("message", (_topic, payload) => { clearTimeout(timer); resolve(payload.toString()); });
      late.subscribe(`routers/${deviceId}/state`);
    });
    late.end(true);
    assert.equal(JSON.parse(retained).online, true);
  });

  it("a config/set is applied, and a blackholed primary path fails over to lte0 (seen on the broker)", async (t) => {
    if (!app?.running) return t.skip("app not running");
    const app_ = app;
    const r = responders[0];
    const config = {
      version: 7,
      links: { wan0: { priority: 1 }, lte0: { priority: 2 } },
      targets: [
        { kind: "tcp", host: "192.0.2.10", port: r.tcpPort },
        { kind: "http", host: "192.0.2.11", port: r.httpPort, name: "/" },
        { kind: "dns", host: "192.0.2.12", name: "example.com" },
      ],
      // Liveness rides on the cheapest target kind (DNS here); the dearer ones are asked once a
      // service round, which this test shortens to see them all within seconds.
      probe: { serviceIntervalMs: 15000 },
      failover: { failbackHoldMs: 3000, minDwellMs: 1000 },
      telemetry: { heartbeatMs: 2000, keepAliveS: 10, queueFlushMs: 1000, configGraceMs: 5000 },
    };
    fleet!.publish(`routers/${deviceId}/config/set`, JSON.stringify({ id: "c7", config }), { qos: 1 });
    await expect("the config/set reply", () => replies().some((x) => x.id === "c7"), 15000);
    assert.deepEqual(replies().find((x) => x.id === "c7"), { cmd: "config/set", ok: true, id: "c7" });
    await expect("heartbeats of config 7", () => heartbeats().filter((h) => h.configVersion === 7).length >= 3, 20000);
    // The active link's probes (liveness every 1.1 s, each dearer target every service round) reach every responder.
    const wan0 = responders[0];
    const at = { ...wan0.answered };
    await expect(() => `wan0 answered tcp, http and dns probes (${JSON.stringify(at)} -> ${JSON.stringify(wan0.answered)})`,
      () => wan0.answered.tcp > at.tcp && wan0.answered.http > at.http && wan0.answered.dns > at.dns, 25000);

    const before = events().length;
    const wan0AtCut = (heartbeats().at(-1) as unknown as { links: Array<{ name: string; state: string; lossPct: number }> }).links.find((l) => l.name === "wan0");
    assert.ok(wan0AtCut?.state === "up" && wan0AtCut.lossPct <= 5, `wan0 answers every kind of probe before the cut: ${JSON.stringify(wan0AtCut)}`);
    const cutAt = Date.now();
    holes.cut(links.wan0);
    await expect("failover wan0 -> lte0", () => events().slice(before).some((e) => e.type === "failover" && e.from === "wan0" && e.to === "lte0"), 30000);
    const failoverSeenAt = Date.now();
    await expect("retained state active lte0", () => states().some((s) => s.online && s.active === "lte0"), 15000);
    await expect("heartbeats on lte0", () => heartbeats().some((h) => h.active === "lte0"), 15000);
    figures.push(`blackhole -> failover event on the broker: ${failoverSeenAt - cutAt} ms (wall clock); wan0 in the last heartbeat before the cut: ${JSON.stringify(wan0AtCut)}`);
    t.diagnostic(app_.since(cutAt).filter((l) => l.includes("event")).slice(0, 4).join("\n"));

    holes.restore(links.wan0);
    await expect("failback to wan0", () => events().slice(before).some((e) => e.type === "failback" && e.to === "wan0"), 40000);
  });

  it("at steady state it fits the esp32 creation (chunk 78,848 B, heap 4,928 slots), from instrumentation and the heartbeat", async (t) => {
    if (!app?.running) return t.skip("app not running");
    // Ten quiet seconds after the failback, both links up: the steady state.
    const from = app.instruments.length;
    const hbFrom = heartbeats().length;
    await sleep(10000);
    const hb = heartbeats().slice(hbFrom);
    assert.ok(hb.length >= 4, `${hb.length} heartbeats in 10 s`);
    for (const h of hb) {
      assert.ok(typeof h.heap === "number" && h.heap > 0 && h.heap <= manifest.creation.heap.initial, `heap ${h.heap} slots`);
      assert.ok(typeof h.chunk === "number" && h.chunk > 0 && h.chunk <= manifest.creation.chunk.initial, `chunk ${h.chunk} bytes`);
    }
    const inst = app.instruments.slice(from);
    assert.ok(inst.length >= 8, "instrumentation lines from the simulator");
    assert.equal(inst[0].chunkAvailable, manifest.creation.chunk.initial);
    const slotBytes = inst[0].slotBytesAvailable / (manifest.creation.heap.initial - 1);
    const slots = inst.map((i) => Math.round(i.slotBytesUsed / slotBytes));
    const chunks = inst.map((i) => i.chunkUsed);
    const maxKeys = Math.max(...inst.map((i) => i.keysUsed));
    const collections = inst.reduce((n, i) => n + i.collections, 0);
    assert.ok(maxKeys < manifest.creation.keys.initial, `keys ${maxKeys} of ${manifest.creation.keys.initial}`);
    // XS collects when a heap is full, so "used" climbs to the limit between collections: the low
    // point is what stays alive, the high point where the next collection starts.
    figures.push(`steady state over ${inst.length} s (config 7, lin, ${slotBytes}-byte slots): slot heap ${Math.min(...slots)}..${Math.max(...slots)} `
      + `of ${manifest.creation.heap.initial} slots, chunk heap ${Math.min(...chunks)}..${Math.max(...chunks)} of ${manifest.creation.chunk.initial} B `
      + `(low = live after collection), ${collections} collections, ${maxKeys} runtime keys of ${manifest.creation.keys.initial}; `
      + `heartbeat heap ${Math.min(...hb.map((h) => h.heap!))}..${Math.max(...hb.map((h) => h.heap!))}, chunk ${Math.min(...hb.map((h) => h.chunk!))}..${Math.max(...hb.map((h) => h.chunk!))}`);
  });

  it("Ctrl-C while the broker is down, then a restart: the queued failover and the config come back from Preference", async (t) => {
    if (!app?.running) return t.skip("app not running");
    const epoch1 = births().at(-1)!.epoch;
    const downAt = Date.now();
    await tb!.broker.kill();
    await sleep(2000);
    const seqBefore = new Set(events().map((e) => `${e.epoch}/${e.seq}`));
    holes.cut(links.wan0);
    const prefsFile = join(prefsDir, "modpreferences.json");
    const stored = () => JSON.parse(readFileSync(prefsFile, "utf8")) as { router: Record<string, string> };
    const queueRecords = () => Object.entries(stored().router).filter(([k]) => /^q[0-9]$/.test(k)).map(([, v]) => v).join("");
    // The failover happens offline; the queue reaches Preference within the boot config's
    // queueFlushMs (5 s by default). Ctrl-C once it is there, as a user pulling the plug would.
    await expect("the failover, offline", () => app!.since(downAt).some((l) => /"type":"failover".*"to":"lte0"/.test(l)), 20000);
    const failedOverAt = Date.now();
    await expect(() => `the queued failover in Preference (the app said:\n${app!.since(downAt).join("\n")})`, () => /failover/.test(queueRecords()), 15000);
    figures.push(`offline failover -> queue in Preference: ${Date.now() - failedOverAt} ms (boot config's queueFlushMs 5000)`);
    await app!.interrupt();
    assert.ok(!app!.running, "the app stopped on Ctrl-C");
    const keys = Object.keys(stored().router).sort().join(", ");
    assert.match(String(stored().router.cfg0) + String(stored().router.cfg1), /"version":7/, `config 7 is in Preference (keys there: ${keys})`);
    const queueAtStop = queueRecords();

    holes.restore(links.wan0);
    await tb!.broker.restart();
    await until(() => watcher!.client.connected, 10000);
    app!.start();
    await expect("a second birth", () => births().some((b) => b.epoch > epoch1), 60000);
    const b2 = births().find((b) => b.epoch > epoch1)!;
    assert.equal(b2.configVersion, 7, "the stored config runs after the restart");
    const queued = () => events().filter((e) => e.epoch === epoch1 && !seqBefore.has(`${e.epoch}/${e.seq}`));
    await expect(() => `the failover queued before Ctrl-C (events of epoch ${epoch1} since the broker went down: ${JSON.stringify(queued())}; queue records then: ${queueAtStop})`,
      () => queued().some((e) => e.type === "failover" && e.to === "lte0"), 30000);
    // Still listening after the restart (the reconnect burst carries the restored queue too); a
    // command is dated for the new boot, from its heartbeats.
    await expect("a heartbeat of the new boot", () => watcher!.clocks.get(deviceId)?.epoch === b2.epoch, 30000);
    watcher!.client.publish(`routers/${deviceId}/cmd/probe-now`, JSON.stringify(watcher!.dated(deviceId, { id: "after-restart" })), { qos: 1 });
    await expect(() => `a reply after the restart (the app said: ${app!.tail(15)})`, () => replies().some((r) => r.id === "after-restart"), 15000);
    figures.push(`restart: epoch ${epoch1} -> ${b2.epoch}, queued events of epoch ${epoch1} delivered after the restart: ${events().filter((e) => e.epoch === epoch1 && !seqBefore.has(`${e.epoch}/${e.seq}`)).map((e) => e.type).join(", ")}`);
  });

  // XS interns every property name JSON.parse meets, for good (fxNewName), and the esp32 creation
  // has a fixed key table: a config/set of 600 bytes with 80 names nobody knows aborted the VM,
  // until the firmware refused names no schema defines before parsing (src/config/json-guard.ts).
  it("80 unknown property names in one config/set are rejected, not fatal", async (t) => {
    if (!app?.running) return t.skip("app not running");
    const junk: Record<string, number> = {};
    // Short names: the whole message stays under 1 KB, one read of the lin socket.
    for (let i = 0; i < 80; i++) junk[`zz${i}`] = 1;
    const sentAt = Date.now();
    watcher!.client.publish(`routers/${deviceId}/config/set`, JSON.stringify({ id: "keys", config: junk }), { qos: 1 });
    // Refused before parsing, so the request's id is not read: the reply names the first unknown field.
    const refusal = () => replies().find((r) => r.cmd === "config/set" && r.ok === false && /\/config\/zz0 is not a field/.test(String(r.error)));
    await expect(() => `a refusal (the app said: ${app!.since(sentAt).join(" | ")})`, () => refusal() !== undefined, 10000);
    assert.ok(app!.running, "the app is still running");
  });
});
