// npm run bench: the figures of shared/design.md, measured on the simulator, for this firmware and,
// in the same run and on the same scenarios and seeds, for models of the documented default
// policies of OpenWrt mwan3 (models/mwan3.ts) and pfSense's dpinger (models/dpinger.ts).
import type { TrafficSpec } from "../sim/world/sim-traffic";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { CHROMIUM, launchChromium } from "../testing/browser/chromium";
import { waitInPage } from "../testing/browser/wait";
import { connect } from "../fleet/broker/connect";
import { serveDashboard } from "../fleet/web/dashboard-server";
import { startSubscriber, floodHeartbeats } from "./heartbeat-flood";
import { startBroker } from "../fleet/broker/broker";
import { makeCredentials } from "../fleet/broker/credentials";
import { parseScenario, type Scenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { Rng } from "../sim/world/random";
import { runModel, type TrackerModel } from "./models/model";
import { mwan3 } from "./models/mwan3";
import { dpinger } from "./models/dpinger";
import { printScorecard } from "./scorecard";
import { printPassive } from "./passive";
import { tlsCost } from "./tls-cost";
import { traceCost } from "./trace-cost";
import type { XsHost } from "../sim/xs/xs-host";
import type { Meter } from "../sim/xs/xs-worker";
import { fuzzFirmware, type FuzzReport } from "../testing/fuzz/fuzz-firmware";
import { CLASSES } from "./classes";
import { flags, runTool, unknownOption, UsageError } from "../fleet/cli/args";

const TRAFFIC_PROFILES = ["idle", "busy", "mixed"] as const;

const SEEDS = Number(process.env.BENCH_SEEDS ?? 100);
const DAY_SEEDS = Number(process.env.BENCH_DAY_SEEDS ?? 3);
const DAY = 86400000;

const LINKS = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2, loss: 0 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15, loss: 0.01 },
];

function scenario(name: string, seed: number, durationMs: number, links: object[], faults: object[]): Scenario {
  return parseScenario(JSON.stringify({ name, seed, durationMs, links, faults }), name);
}

/** The fault lands at a seed-chosen phase of the probe schedules. */
function faultScenario(kind: string, seed: number): Scenario {
  const at = 60000 + Math.floor(new Rng(seed * 7919).next() * 10000);
  return scenario(`${kind}-seed${seed}`, seed, at + 120000, LINKS, [{ atMs: at, link: "wan0", kind }]);
}

function stats(xs: number[]): { median: number; p95: number; worst: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
  return { median: q(0.5), p95: q(0.95), worst: s.length ? s[s.length - 1] : NaN, n: s.length };
}

const fmt = (ms: number) => Number.isNaN(ms) ? "-" : ms >= 10000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms) + " ms";
const row = (cells: string[], widths: number[]) => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");

type Who = { name: string; run: (sc: Scenario) => { detectionMs: number[]; falseFailovers: number; failovers: number; probeBytes: Record<string, number> } };
const firmware: Who = { name: "this firmware", run: (sc) => runScenario(sc).result };
const model = (m: TrackerModel): Who => ({ name: m.name, run: (sc) => runModel(sc, m) });
const everyone: Who[] = [firmware, model(mwan3), model(dpinger)];

function detection(kind: string, who: Who[]): void {
  console.log(`\n${kind} on the active link (wan0 12 ms, backup lte0), ${SEEDS} seeds, fault at a seed-chosen phase:`);
  const w = [28, 10, 10, 10, 12];
  console.log(row(["", "median", "p95", "worst", "undetected"], w));
  for (const w0 of who) {
    const all: number[] = [];
    let missed = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = w0.run(faultScenario(kind, seed));
      all.push(...r.detectionMs);
      missed += r.detectionMs.length === 0 ? 1 : 0;
    }
    const s = stats(all);
    console.log(row([w0.name, fmt(s.median), fmt(s.p95), fmt(s.worst), String(missed)], w));
  }
}

function day(): void {
  console.log(`\n24 simulated hours, primary with 10 % random loss and 200 ms jitter, ${DAY_SEEDS} seeds:`);
  const w = [28, 16, 18, 18, 12];
  console.log(row(["", "false failovers", "probe B/day active", "probe B/day standby", "wall s/day"], w));
  const links = [{ ...LINKS[0], jitterMs: 200, loss: 0.1 }, LINKS[1]];
  for (const who of everyone) {
    let falseF = 0, active = 0, standby = 0, wall = 0;
    for (let seed = 1; seed <= DAY_SEEDS; seed++) {
      const t0 = performance.now();
      const r = who.run(scenario("lossy-day", seed, DAY, links, []));
      wall += performance.now() - t0;
      falseF += r.falseFailovers;
      active += r.probeBytes.wan0;
      standby += r.probeBytes.lte0;
    }
    console.log(row([who.name, String(falseF), String(Math.round(active / DAY_SEEDS)), String(Math.round(standby / DAY_SEEDS)),
      (wall / DAY_SEEDS / 1000).toFixed(2)], w));
  }
  const clean = runScenario(scenario("clean-day", 1, DAY, LINKS, [])).result;
  console.log(`clean links, this firmware: probe bytes/day active ${clean.probeBytes.wan0}, standby ${clean.probeBytes.lte0} ` +
    `(probes/day ${clean.probes.wan0} and ${clean.probes.lte0})`);
}

function heartbeatGap(): void {
  const gaps: number[] = [];
  for (let seed = 1; seed <= Math.min(SEEDS, 50); seed++) gaps.push(...runScenario(faultScenario("blackhole", seed)).result.heartbeatGapMs);
  const s = stats(gaps);
  console.log(`\nheartbeat gap across a blackhole failover (heartbeat every 10 s; ${s.n} runs): median ${fmt(s.median)}, worst ${fmt(s.worst)}`);
}

/** The firmware inside XS for a simulated day: compute per control tick, heap after 1 h and 24 h. */
function xsMeter(): void {
  const sc = scenario("xs-day", 1, DAY, [{ ...LINKS[0], jitterMs: 200, loss: 0.1 }, LINKS[1]], []);
  const heap: Array<[string, Meter]> = [];
  const t = performance.now();
  runScenario(sc, {
    xs: true,
    prepare: (world) => {
      const host = world.host as XsHost;
      heap.push(["bare XS worker", host.bare]);
      heap.push(["firmware code evaluated, before boot", host.loaded]);
      world.clock.at(60000, () => heap.push(["after 1 simulated minute", host.heapAfterGc()]));
      world.clock.at(3600000, () => heap.push(["after 1 simulated hour", host.heapAfterGc()]));
      world.clock.at(6 * 3600000, () => heap.push(["after 6 simulated hours", host.heapAfterGc()]));
      world.clock.at(12 * 3600000, () => heap.push(["after 12 simulated hours", host.heapAfterGc()]));
    },
    inspect: (world) => {
      const host = world.host as XsHost;
      heap.push(["after 24 simulated hours", host.heapAfterGc()]);
      const tk = host.tick;
      console.log(`\nXS meter, firmware in an xsnap worker, 24 h with the lossy primary (wall ${((performance.now() - t) / 1000).toFixed(1)} s):`);
      console.log(`  compute per control tick (${tk.ticks} ticks): mean ${Math.round(tk.computeSum / tk.ticks)}, max ${tk.computeMax}`);
    },
  });
  for (const [when, m] of heap) console.log(`  heap slots ${String(m.currentHeapCount).padStart(6)}  ${when} (after gc; allocated ${m.allocate} bytes)`);
  const slots = (i: number) => heap[i][1].currentHeapCount;
  const grew = slots(heap.length - 1) - slots(3);
  console.log(`  heap change from 1 h to 24 h: ${grew >= 0 ? "+" : ""}${grew} slots`);
  console.log(`  the running router's own heap (24 h minus code evaluated): ${slots(heap.length - 1) - slots(1)} slots ` +
    `(ESP32 creation: 4,928 heap slots; on the device the code is preloaded into flash, not the heap)`);
}

/** Heartbeat size, and how many heartbeats/s reach a bare subscriber and the fleet consumer through the broker. */
async function fleetIngest(): Promise<void> {
  const demo = parseScenario(readFileSync(new URL("../sim/scenarios/demo-outage.json", import.meta.url), "utf8"), "demo");
  const beats = runScenario(demo).world.broker.arrivals.filter((a) => a.topic.endsWith("/heartbeat"));
  const sizes = beats.map((a) => Buffer.byteLength(a.payload));
  const topicBytes = Buffer.byteLength("routers/demo-router/heartbeat");
  const mean = Math.round(sizes.reduce((x, y) => x + y, 0) / sizes.length);
  console.log(`\nheartbeat (3 links): payload ${Math.min(...sizes)}..${Math.max(...sizes)} bytes, mean ${mean}; ` +
    `MQTT PUBLISH on the wire about ${mean + topicBytes + 2 + 3} bytes (QoS 0)`);

  const ids = Array.from({ length: 10000 }, (_, i) => `router-${String(i).padStart(5, "0")}`);
  const creds = makeCredentials([], undefined, { loadgen: true });
  const broker = await startBroker(creds);
  const sample = beats[beats.length - 1].payload;
  // Devices may write only their own topics: the flood comes from the bench's load generator login.
  const pub = await connect(broker.url, creds.loadgen!, { reconnectPeriod: 0 });
  const SECONDS = 5;
  const rows: string[][] = [];
  for (const mode of ["bare", "consumer"] as const) {
    const figures = await startSubscriber(mode, broker.url, creds.collectors[0], SECONDS + 1);
    const sent = await floodHeartbeats(pub, { seconds: SECONDS, topic: (i) => `routers/${ids[i % ids.length]}/heartbeat`, payload: () => sample });
    const res = await figures();
    rows.push([mode === "bare" ? "bare subscriber (counts)" : "fleet consumer (parse, schema, rows)", String(Math.round(sent / SECONDS)),
      String(res.perSecond), String(res.count), mode === "consumer" ? String(res.rows) : "-"]);
  }
  pub.end(true);
  await broker.stop();
  console.log(`heartbeats through ${broker.kind} ${broker.version}, one publisher flooding ${SECONDS} s with 10,000 router ids:`);
  const w = [38, 12, 14, 10, 8];
  console.log(row(["", "sent/s", "received/s", "received", "rows"], w));
  for (const r of rows) console.log(row(r, w));
}

/** The dashboard page with 10,000 routers heartbeating every 10 s: main-thread cost per second. */
async function dashboardCost(): Promise<void> {
  if (!CHROMIUM) {
    console.log("\ndashboard cost: skipped (no chromium; apt-get install chromium)");
    return;
  }
  const N = 10000, RATE = 1000, SECONDS = 10;
  const creds = makeCredentials([], undefined, { loadgen: true });
  const broker = await startBroker(creds);
  const page = await serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 30000 });
  const browser = await launchChromium();
  // Devices may write only their own topics: the flood comes from the bench's load generator login.
  const pub = await connect(broker.url, creds.loadgen!, { reconnectPeriod: 0 });
  try {
    const tab = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await tab.goto(page.url);
    await waitInPage(tab, "document.getElementById('conn').textContent === 'connected'", 15000);
    const beat = (i: number, seq: number) => JSON.stringify({ seq, epoch: 1, uptimeMs: seq * 10000, active: "wan0", configVersion: 1,
      links: [{ name: "wan0", state: "up", rttMs: 12 + (i % 7), lossPct: 0, jitterMs: 2 }, { name: "lte0", state: "up", rttMs: 61, lossPct: 1, jitterMs: 9 },
        { name: "wlan0", state: "up", rttMs: 27, lossPct: 2, jitterMs: 5 }], queued: 0, dropped: 0, heap: 0, rejected: 0, safeMode: 0 });
    const id = (i: number) => `router-${String(i).padStart(5, "0")}`;
    // Every router once, then the steady rate: 10,000 routers every 10 s.
    for (let i = 0; i < N; i++) pub.publish(`routers/${id(i)}/heartbeat`, beat(i, 1), { qos: 0 });
    await waitInPage(tab, `document.getElementById('n-total').textContent === '${N}'`, 60000);
    const cdp = await tab.context().newCDPSession(tab);
    await cdp.send("Performance.enable");
    const task = async () => ((await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration")?.value ?? 0) * 1000;
    const busy = () => tab.evaluate("window.dashboard.busyMs") as Promise<number>;
    const msgs = () => tab.evaluate("window.dashboard.state.messages") as Promise<number>;
    const [task0, busy0, msgs0] = [await task(), await busy(), await msgs()];
    const start = Date.now();
    let sent = 0;
    while (Date.now() - start < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * RATE);
      for (; sent < due; sent++) pub.publish(`routers/${id(sent % N)}/heartbeat`, beat(sent % N, 2 + Math.floor(sent / N)), { qos: 0 });
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    const [task1, busy1, msgs1] = [await task(), await busy(), await msgs()];
    const secs = (Date.now() - start) / 1000;
    console.log(`\ndashboard in chromium, ${N} routers, ${RATE} heartbeats/s through ${broker.kind} over WebSockets for ${SECONDS} s:`);
    console.log(`  received ${msgs1 - msgs0} of ${sent}; main-thread busy ${((task1 - task0) / secs).toFixed(0)} ms per second (CDP TaskDuration), ` +
      `of which ingest + render ${((busy1 - busy0) / secs).toFixed(0)} ms; per heartbeat ${((task1 - task0) / Math.max(1, msgs1 - msgs0)).toFixed(3)} ms`);
  } finally {
    pub.end(true);
    await browser.close();
    await page.close();
    await broker.stop();
  }
}

/**
 * npm run bench -- --fuzz: hostile messages per inbound topic against the firmware (seeded), in
 * Node (FUZZ_PER_TOPIC, default 100,000) and on XS (FUZZ_XS_PER_TOPIC, default 2,000).
 */
function fuzzBench(): void {
  const perTopic = Number(process.env.FUZZ_PER_TOPIC ?? 100000);
  const xsPerTopic = Number(process.env.FUZZ_XS_PER_TOPIC ?? 2000);
  const seed = Number(process.env.FUZZ_SEED ?? 1);
  const w = [16, 5, 9, 8, 8, 9, 11, 9, 8, 10, 9, 10];
  console.log(`firmware fuzz: hostile inbound messages, seed ${seed}; each must be refused with one bounded reply and change nothing`);
  console.log(row(["topic", "host", "sent", "refused", "crashes", "accepted", "unanswered", "unbounded", "changed", "max reply B", "msgs/s", "heap/msg"], w));
  const print = (r: FuzzReport) => {
    console.log(row([r.topic, r.host, String(r.sent), String(r.refused), String(r.crashes), String(r.accepted), String(r.unanswered), String(r.overBound),
      String(r.stateChanged), String(r.maxReplyBytes), String(Math.round(r.sent / (r.wallMs / 1000))), r.host === "xs" ? String(r.maxHeapDelta) : "-"], w));
    for (const f of r.failures) console.log("    " + f);
  };
  let failed = 0, total = 0;
  const t0 = performance.now();
  for (const [xs, n] of [[false, perTopic], [true, xsPerTopic]] as const) {
    if (n <= 0 || (xs && process.env.BENCH_XS === "0")) continue;
    for (const r of fuzzFirmware({ perTopic: n, seed, xs })) {
      print(r);
      total += r.sent;
      failed += r.sent - r.refused;
    }
  }
  console.log(`${total} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s wall; ${failed} not refused cleanly` +
    " (heap/msg: most XS heap slots one message cost, garbage included; the device has 4,928)");
  if (failed > 0) process.exitCode = 1;
}

const USAGE = `usage: npm run bench [-- MODE]
  (no mode)                 the figures: detection, false failovers, probe bytes, heartbeat gap, XS meter,
                            fleet ingest and dashboard cost (BENCH_XS=0, BENCH_BROKER=0, BENCH_BROWSER=0, BENCH_TRACE=0 skip parts)
  --realistic [--class ID] [--traffic ${TRAFFIC_PROFILES.join("|")}]
                            operator scorecard per real-link class (ID: part of a class id, or traces: the recordings; SCORE_SEEDS caps seeds)
  --passive                 users' traffic as evidence
  --fuzz                    hostile messages per inbound topic on Node and XS
  --tls                     what TLS costs per heartbeat and per connection
  --history                 fleet history ingest into PostgreSQL (needs PostgreSQL and Mosquitto)`;

interface BenchArgs { mode: "figures" | "realistic" | "passive" | "fuzz" | "tls" | "history"; classFilter?: string; traffic?: TrafficSpec }

function parseBench(argv: string[]): BenchArgs {
  const a: BenchArgs = { mode: "figures" };
  const mode = (m: BenchArgs["mode"]) => {
    if (a.mode !== "figures" && a.mode !== m) throw new UsageError(`--${a.mode} and --${m} are separate runs: give one`);
    a.mode = m;
  };
  for (const { flag, value } of flags(argv)) {
    if (flag === "--realistic" || flag === "--passive" || flag === "--fuzz" || flag === "--tls" || flag === "--history") mode(flag.slice(2) as BenchArgs["mode"]);
    else if (flag === "--class") a.classFilter = value();
    else if (flag === "--traffic") {
      const p = value();
      if (!(TRAFFIC_PROFILES as readonly string[]).includes(p)) throw new UsageError(`--traffic ${p}: not a profile (allowed: ${TRAFFIC_PROFILES.join(", ")})`);
      a.traffic = { profile: p as TrafficSpec["profile"] };
    } else throw unknownOption(flag);
  }
  if ((a.classFilter !== undefined || a.traffic) && a.mode !== "realistic") throw new UsageError("--class and --traffic go with --realistic");
  const filter = a.classFilter;
  if (filter !== undefined && !CLASSES.some((c) => c.id.includes(filter)) && !"traces".includes(filter)) {
    throw new UsageError(`--class ${filter}: no class id contains it (allowed: ${CLASSES.map((c) => c.id).join(", ")}, traces)`);
  }
  return a;
}

async function main(argv: string[]): Promise<void> {
  const args = parseBench(argv);
  if (args.mode === "fuzz") {
    fuzzBench();
    process.exit();
  }
  if (args.mode === "history") { // fleet history: ingest into PostgreSQL, bytes per router per day, history load time
    await (await import("./history-bench")).historyBench();
    process.exit(0);
  }
  if (args.mode === "tls") {
    await tlsCost();
    process.exit(0);
  }
  if (args.mode === "realistic") {
    const seeds = process.env.SCORE_SEEDS ? Number(process.env.SCORE_SEEDS) : undefined;
    printScorecard(args.classFilter, seeds, args.traffic);
    process.exit(0);
  }

  if (args.mode === "passive") {
    printPassive(SEEDS);
    process.exit(0);
  }

  const t0 = performance.now();
  console.log("uplink failover bench (virtual clock; figures are simulated time unless marked wall)");
  detection("blackhole", everyone);
  // mwan3 (netifd ifdown hotplug) and pfSense react to an interface going down by event, as this
  // firmware does; modelling that as missed pings would flatter us, so carrier loss is ours alone.
  detection("carrier-down", [firmware]);
  day();
  heartbeatGap();
  if (process.env.BENCH_TRACE !== "0") traceCost();
  if (process.env.BENCH_XS !== "0") xsMeter();
  if (process.env.BENCH_BROKER !== "0") await fleetIngest();
  if (process.env.BENCH_BROWSER !== "0") await dashboardCost();
  console.log(`\nbench wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

runTool(USAGE, main);
