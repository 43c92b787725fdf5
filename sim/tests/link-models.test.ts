// The simulator's link models (burst loss, gaps, bufferbloat, RTT steps, ICMP limits, blocked
// resolvers, trace replay, durationMs) on the world alone: probes through the real prober port,
// ground truth from SimLink.episodes, and the scenario loader's rejections.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeTarget } from "../../src/ports";
import { loadScenario, parseScenario, ScenarioError } from "../scenario/load-scenario";
import { scheduleFaults } from "../scenario/faults";
import { runScenario } from "../scenario/run-scenario";
import { allRows } from "../scenario/trace-csv";
import { BootContext } from "../world/boot-context";
import { proberFor } from "../world/sim-ports";
import { SimWorld } from "../world/world";
import type { Episode } from "../world/sim-link";
import { SCENARIOS, example, ofType } from "../../testing/scenario-runs";

const LINKS = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 0, loss: 0 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 0, loss: 0 },
];
const ICMP: ProbeTarget = { kind: "icmp", host: "1.1.1.1" };
const TCP: ProbeTarget = { kind: "tcp", host: "9.9.9.9", port: 443 };
const DNS_A: ProbeTarget = { kind: "dns", host: "8.8.8.8", name: "example.com" };
const DNS_B: ProbeTarget = { kind: "dns", host: "1.0.0.1", name: "example.com" };

const tmp = mkdtempSync(join(tmpdir(), "link-models-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

function scenario(faults: unknown[], extra: Record<string, unknown> = {}) {
  return parseScenario(JSON.stringify({ name: "t", seed: 5, durationMs: 86400000, links: LINKS, faults, ...extra }), join(tmp, "t.json"));
}

/** A world with the scenario's faults and no firmware: probes are sent by the test. */
function world(faults: unknown[], extra: Record<string, unknown> = {}) {
  const sc = scenario(faults, extra);
  const w = new SimWorld({ seed: sc.seed, links: sc.links, deviceId: "t" });
  const prober = proberFor(new BootContext(w.clock, 1), w);
  const hooks = { cuts: [] as Array<[string, number]>, ended: [] as Array<[string, number]>, restored: 0 };
  scheduleFaults(w, sc.faults, sc.config.targets[0].host, {
    cut: (l, at) => hooks.cuts.push([l.name, at]),
    ended: (l, at) => hooks.ended.push([l.name, at]),
    restored: () => { hooks.restored++; },
  });
  return { w, prober, hooks, sc };
}

interface Outcome { at: number; ok: boolean; rttMs: number; doneAt: number }
/** Probe `link` every `periodMs` from `fromMs` to `toMs`; outcomes in send order once the run is done. */
function probeEvery(x: ReturnType<typeof world>, link: string, target: ProbeTarget, periodMs: number, fromMs: number, toMs: number, timeoutMs = 1000): Outcome[] {
  const out: Outcome[] = [];
  const send = () => {
    const at = x.w.clock.now();
    if (at > toMs) return;
    const o: Outcome = { at, ok: false, rttMs: -1, doneAt: -1 };
    out.push(o);
    let calls = 0;
    x.prober.probe(link, target, timeoutMs, (r) => {
      calls++;
      assert.equal(calls, 1, "done is called once");
      Object.assign(o, { ok: r.ok, rttMs: r.rttMs, doneAt: x.w.clock.now() });
    });
  };
  x.w.clock.at(fromMs, () => { send(); x.w.clock.after(periodMs, send, periodMs); });
  return out;
}

const lossOf = (os: Outcome[]) => os.filter((o) => !o.ok).length / os.length;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ofKind = (eps: Episode[], kind: string) => eps.filter((e) => e.kind === kind);

function rejects(faults: unknown[], message: RegExp, extra: Record<string, unknown> = {}): void {
  assert.throws(() => scenario(faults, extra), (e: unknown) => {
    assert.ok(e instanceof ScenarioError, String(e));
    assert.match((e as Error).message, message);
    return true;
  });
}

// ---- validation ---------------------------------------------------------------------------------

test("a field a fault kind does not use is rejected, naming the JSON pointer and the field", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ kind: "blackhole", link: "wan0", rate: 0.5 }, "rate"],
    [{ kind: "carrier-down", link: "wan0", rttMs: 10 }, "rttMs"],
    [{ kind: "loss", link: "wan0", rate: 0.1, jitterMs: 3 }, "jitterMs"],
    [{ kind: "latency", link: "wan0", rttMs: 100, target: "1.1.1.1" }, "target"],
    [{ kind: "dns-fail", link: "wan0", count: 2 }, "count"],
    [{ kind: "target-down", link: "wan0", hosts: ["8.8.8.8"] }, "hosts"],
    [{ kind: "flap", link: "wan0", periodMs: 1000, count: 2, rate: 0.1 }, "rate"],
    [{ kind: "gaps", link: "wan0", everyMinMs: 9000, everyMaxMs: 10000, gapMinMs: 10, gapMaxMs: 20, goodMs: 5 }, "goodMs"],
    [{ kind: "burst-loss", link: "wan0", goodMs: 1000, badMs: 100, peakMs: 5 }, "peakMs"],
    [{ kind: "bufferbloat", link: "wan0", peakMs: 500, rampMs: 1000, rate: 0.1 }, "rate"],
    [{ kind: "icmp-limit", link: "wan0", rate: 0.5, badLoss: 1 }, "badLoss"],
    [{ kind: "trace", link: "wan0", file: "x.csv", rttMs: 5 }, "rttMs"],
    [{ kind: "restore", link: "wan0", durationMs: 1000 }, "durationMs"],
    [{ kind: "carrier-up", link: "wan0", durationMs: 1000 }, "durationMs"],
    [{ kind: "broker-up", durationMs: 1000 }, "durationMs"],
    [{ kind: "broker-down", mode: "carrier" }, "mode"],
    [{ kind: "hang", durationMs: 1000, everyMinMs: 5 }, "everyMinMs"],
  ];
  for (const [f, field] of cases) {
    const faults = [{ atMs: 0, kind: "restore", link: "lte0" }, { atMs: 1000, ...f }];
    rejects(faults, new RegExp(`/faults/1: field '${field}' is not used by kind '${f.kind as string}'`));
  }
});

test("a target-down on a host that is not a probe target, and a dns-fail on a resolver that is not a dns target, are errors", () => {
  rejects([{ atMs: 1000, link: "wan0", kind: "target-down", target: "10.0.0.1" }], /\/faults\/0\/target '10\.0\.0\.1' is not a probe target of the config/);
  rejects([{ atMs: 1000, link: "wan0", kind: "dns-fail", hosts: ["8.8.8.8", "9.9.9.9"] }], /\/faults\/0\/hosts\/1 '9\.9\.9\.9' is not a dns probe target/);
  rejects([{ atMs: 1000, link: "wan0", kind: "dns-fail", hosts: ["4.4.4.4"] }], /\/faults\/0\/hosts\/0 '4\.4\.4\.4'/,
    { config: { targets: [{ kind: "icmp", host: "4.4.4.4" }] } });
  // A config's own targets are what counts.
  scenario([{ atMs: 1000, link: "wan0", kind: "dns-fail", hosts: ["192.168.1.1"] },
    { atMs: 1000, link: "wan0", kind: "target-down", target: "192.168.1.1" }],
  { config: { targets: [{ kind: "dns", host: "192.168.1.1", name: "example.com" }] } });
});

test("rules a schema cannot say: burst-loss sojourns, gaps that would overlap, an empty icmp-limit", () => {
  rejects([{ atMs: 0, link: "wan0", kind: "burst-loss", goodMs: 1000 }], /\/faults\/0: kind 'burst-loss' needs badMs/);
  rejects([{ atMs: 0, link: "wan0", kind: "burst-loss", goodMs: 1000, badMs: 100, badMinMs: 1, badMaxMs: 5 }], /field 'badMs' is not used when badMinMs\/badMaxMs/);
  rejects([{ atMs: 0, link: "wan0", kind: "burst-loss", goodMs: 1000, badMinMs: 1 }], /badMinMs and badMaxMs go together/);
  rejects([{ atMs: 0, link: "wan0", kind: "gaps", everyMinMs: 1000, everyMaxMs: 2000, gapMinMs: 500, gapMaxMs: 1000 }], /\/faults\/0\/gapMaxMs must be shorter than everyMinMs/);
  rejects([{ atMs: 0, link: "wan0", kind: "icmp-limit" }], /needs at least one of rate, perSecond, extraMs/);
  rejects([{ atMs: 0, link: "wan0", kind: "gaps", everyMinMs: 1000 }], /\/faults\/0 must have required property 'everyMaxMs'/);
});

test("a bad trace CSV is rejected with file:line and what is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["loss,rtt_ms\n0,40\n0,41\n0.5,abc\n", /:4: rtt_ms 'abc' is not a number/],
    ["# comment\nloss,rtt_ms\n0,40\n1.5,40\n", /:4: loss 1\.5 is above 1/],
    ["loss,rtt_ms,jitter_ms\n0,40,1\n0,40\n", /:3: 2 fields, the header has 3/],
    ["loss,latency\n0,40\n", /:1: unknown column 'latency'/],
    ["rtt_ms\n40\n", /:1: the header needs columns loss and rtt_ms/],
    ["loss,rtt_ms\n", /no rows after the header/],
    ["loss,rtt_ms\n-0.1,40\n", /:2: loss '-0\.1' is not a number/],
  ];
  cases.forEach(([text, message], i) => {
    const f = file(`bad${i}.csv`, text);
    rejects([{ atMs: 0, link: "wan0", kind: "trace", file: f }], message);
    rejects([{ atMs: 0, link: "wan0", kind: "trace", file: f }], new RegExp(f.replace(/[.]/g, "\\.") + ":\\d+"));
  });
  rejects([{ atMs: 0, link: "wan0", kind: "trace", file: "no-such.csv" }], /\/faults\/0\/file: cannot read trace .*no-such\.csv/);
});

test("a trace is found next to the scenario file; a parse error still names the file, line and pointer", () => {
  const sc = loadScenario(SCENARIOS + "starlink-trace.json");
  assert.ok((sc.faults[0].traceSpec?.rows ?? 0) >= 3600);
  const bad = file("bad.json", JSON.stringify({ name: "x", durationMs: 1000, links: LINKS, faults: [{ atMs: 0, link: "wan0", kind: "gaps", rate: 1 }] }));
  assert.throws(() => loadScenario(bad), (e: unknown) => (e as Error).message.startsWith(bad + ":1: /faults/0"));
});

test("names a user would write are accepted: eth0.2, pppoe-wan, wan_1, punctuated scenario names", () => {
  const links = [
    { name: "eth0.2", kind: "ethernet", priority: 1, rttMs: 5 },
    { name: "pppoe-wan", kind: "ethernet", priority: 2, rttMs: 30 },
    { name: "wan_1", kind: "lte", priority: 3, rttMs: 60 },
  ];
  const name = "Dad's LTE (backup) #2: 50% loss, +100 ms — test!";
  const sc = parseScenario(JSON.stringify({ name, durationMs: 60000, links,
    faults: [{ atMs: 20000, link: "eth0.2", kind: "blackhole", durationMs: 20000 }] }), "names");
  assert.equal(sc.name, name);
  assert.deepEqual(sc.links.map((l) => l.name), ["eth0.2", "pppoe-wan", "wan_1"]);
  // And the firmware runs on them.
  const { result } = runScenario(sc);
  assert.deepEqual(ofType(result.events, "failover").map((e) => [e.from, e.to]), [["eth0.2", "pppoe-wan"]]);
  for (const bad of ["-wan", "wan 0", "a234567890123456", ""]) {
    assert.throws(() => parseScenario(JSON.stringify({ name: "x", durationMs: 1000, links: [{ name: bad, kind: "lte", priority: 1 }] })), /\/links\/0\/name must match pattern/);
  }
  assert.throws(() => parseScenario(JSON.stringify({ name: "tab\there", durationMs: 1000, links })), /\/name must match pattern/);
  assert.throws(() => parseScenario(JSON.stringify({ name: "x".repeat(81), durationMs: 1000, links })), /\/name must match pattern/);
});

// ---- Gilbert-Elliott ------------------------------------------------------------------------------

test("burst-loss: bad periods have the configured mean length and rate, and the loss is bursty", () => {
  const x = world([{ atMs: 0, link: "wan0", kind: "burst-loss", goodMs: 10000, badMs: 500 }]);
  const out = probeEvery(x, "wan0", TCP, 50, 1000, 3600000);
  x.w.run(86400000);
  const link = x.w.link("wan0");
  const bursts = ofKind(link.episodes, "burst");
  // 24 h / (10 s + 0.5 s) = ~8230 bursts.
  assert.ok(Math.abs(bursts.length - 86400000 / 10500) < 300, `${bursts.length} bursts`);
  const lengths = bursts.filter((b) => b.endMs !== null).map((b) => (b.endMs as number) - b.startMs);
  assert.ok(Math.abs(mean(lengths) - 500) < 25, `mean burst ${mean(lengths)} ms`);
  assert.ok(bursts.every((b) => b.cuts), "badLoss 1 cuts");
  assert.equal(x.hooks.cuts.length, bursts.length, "a cut per burst");
  assert.ok(x.hooks.ended.length >= bursts.length - 1, "an end per burst");
  // Probe outcomes over the first hour: overall rate ~ 0.5/10.5, and losses come in runs.
  const loss = lossOf(out);
  assert.ok(Math.abs(loss - 500 / 10500) < 0.012, `loss ${loss}`);
  let afterLoss = 0, lostAfterLoss = 0;
  for (let i = 1; i < out.length; i++) if (!out[i - 1].ok) { afterLoss++; if (!out[i].ok) lostAfterLoss++; }
  assert.ok(lostAfterLoss / afterLoss > 0.8, `P(loss | loss before) = ${lostAfterLoss / afterLoss}: bursty`);
  // The same number of independent losses would rarely follow each other.
  const x2 = world([{ atMs: 0, link: "wan0", kind: "loss", rate: loss }]);
  const out2 = probeEvery(x2, "wan0", TCP, 50, 1000, 3600000);
  x2.w.run(3601000);
  let a2 = 0, l2 = 0;
  for (let i = 1; i < out2.length; i++) if (!out2[i - 1].ok) { a2++; if (!out2[i].ok) l2++; }
  assert.ok(l2 / a2 < 0.2, `independent loss is not bursty: ${l2 / a2}`);
});

test("burst-loss: uniform bad sojourns stay in [badMinMs, badMaxMs]; partial badLoss does not cut; goodLoss applies between bursts", () => {
  const x = world([
    { atMs: 0, link: "wan0", kind: "burst-loss", goodMs: 7500, badMinMs: 200, badMaxMs: 800 },
    { atMs: 0, link: "lte0", kind: "burst-loss", goodMs: 5000, badMs: 5000, badLoss: 0.5, goodLoss: 0.1 },
  ]);
  const lte = probeEvery(x, "lte0", TCP, 100, 1000, 7200000);
  x.w.run(7200000);
  const wan = ofKind(x.w.link("wan0").episodes, "burst").filter((b) => b.endMs !== null);
  const lens = wan.map((b) => (b.endMs as number) - b.startMs);
  assert.ok(lens.every((l) => l >= 200 && l <= 800), "inside the range");
  assert.ok(Math.abs(mean(lens) - 500) < 20, `mean ${mean(lens)}`);
  assert.ok(wan.length > 800 && wan.length < 1100, `about 8 a minute: ${wan.length}`);
  const lteBursts = ofKind(x.w.link("lte0").episodes, "burst");
  assert.ok(lteBursts.length > 500 && lteBursts.every((b) => !b.cuts));
  assert.ok(Math.abs(lossOf(lte) - 0.3) < 0.03, `half bad at 0.5, half good at 0.1: ${lossOf(lte)}`);
  assert.equal(x.hooks.cuts.filter(([l]) => l === "lte0").length, 0);
});

// ---- gaps -----------------------------------------------------------------------------------------

test("gaps: silence in both directions with the carrier up, at the configured rate and lengths", () => {
  const x = world([{ atMs: 0, link: "lte0", kind: "gaps", everyMinMs: 30000, everyMaxMs: 120000, gapMinMs: 1000, gapMaxMs: 3000 }]);
  const out = probeEvery(x, "lte0", ICMP, 100, 100, 6 * 3600000);
  let carrierDown = 0;
  x.w.clock.after(250, () => { if (!x.w.link("lte0").carrier) carrierDown++; }, 250);
  x.w.run(86400000);
  const gaps = ofKind(x.w.link("lte0").episodes, "gap");
  // 24 h / 75 s mean interval = 1152.
  assert.ok(Math.abs(gaps.length - 1152) < 60, `${gaps.length} gaps`);
  const lens = gaps.filter((g) => g.endMs !== null).map((g) => (g.endMs as number) - g.startMs);
  assert.ok(lens.every((l) => l >= 1000 && l <= 3000));
  assert.ok(Math.abs(mean(lens) - 2000) < 60, `mean gap ${mean(lens)}`);
  const starts = gaps.map((g) => g.startMs);
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1] >= 30000 && starts[i] - starts[i - 1] <= 120000);
  assert.equal(carrierDown, 0, "the carrier stays up");
  assert.equal(x.hooks.cuts.length, gaps.length);
  // Every probe sent inside a gap, or whose reply falls in one, is lost; the rest get through.
  const inGap = (t: number) => gaps.some((g) => t >= g.startMs && t < (g.endMs ?? Infinity));
  for (const o of out) {
    const expected = !inGap(o.at) && !inGap(o.at + 60);
    assert.equal(o.ok, expected, `probe at ${o.at}`);
  }
  assert.ok(Math.abs(lossOf(out) - 2000 / 75000) < 0.004, `loss ${lossOf(out)}`);
  // forwards() tells the same story.
  const y = world([{ atMs: 0, link: "lte0", kind: "gaps", everyMinMs: 30000, everyMaxMs: 30001, gapMinMs: 2000, gapMaxMs: 2001 }]);
  y.w.run(31000);
  assert.equal(y.w.link("lte0").forwards(), false);
  assert.equal(y.w.link("lte0").passes, true, "carrier and hard-cut view unchanged");
  y.w.run(33000);
  assert.equal(y.w.link("lte0").forwards(), true);
});

// ---- durationMs and overlapping faults -----------------------------------------------------------

test("durationMs ends a fault and undoes only its own effect; restore clears everything", () => {
  const x = world([
    { atMs: 1000, link: "wan0", kind: "loss", rate: 0.5 },
    { atMs: 2000, link: "wan0", kind: "blackhole", durationMs: 10000 },
    { atMs: 3000, link: "wan0", kind: "latency", rttMs: 300, durationMs: 20000 },
    { atMs: 4000, link: "wan0", kind: "carrier-down", durationMs: 2000 },
    { atMs: 5000, link: "wan0", kind: "dns-fail", hosts: ["8.8.8.8"], durationMs: 5000 },
    { atMs: 6000, link: "lte0", kind: "flap", periodMs: 10000, count: 10, durationMs: 25000 },
    { atMs: 60000, link: "wan0", kind: "restore" },
  ]);
  const wan = x.w.link("wan0"), lte = x.w.link("lte0");
  const at = (t: number, check: () => void) => x.w.clock.at(t, check);
  at(4500, () => {
    assert.equal(wan.carrier, false);
    assert.equal(wan.forwards(), false);
    assert.equal(wan.dnsBlocked("8.8.8.8"), false, "dns-fail not yet");
  });
  at(7000, () => {
    assert.equal(wan.carrier, true, "carrier-down over after 2 s");
    assert.equal(wan.forwards(), false, "the blackhole is still there");
    assert.equal(wan.dnsBlocked("8.8.8.8"), true);
    assert.equal(wan.dnsBlocked("1.0.0.1"), false, "only the named resolver");
  });
  at(12500, () => {
    assert.equal(wan.forwards(), true, "blackhole over");
    assert.equal(wan.rttMs, 300, "latency still in force");
    assert.equal(wan.lossNow(), 0.5, "loss still in force");
    assert.equal(wan.dnsBlocked("8.8.8.8"), false);
  });
  at(24000, () => {
    assert.equal(wan.rttMs, 12, "the RTT step ended by itself");
    assert.equal(wan.lossNow(), 0.5);
    assert.equal(wan.faulty, true, "the loss fault is still in force");
  });
  at(40000, () => assert.equal(lte.faulty, false, "the flap ended at 31 s"));
  at(61000, () => {
    assert.equal(wan.lossNow(), 0, "restore cleared the loss");
    assert.equal(wan.faulty, false);
    assert.equal(wan.effects.length, 0);
  });
  x.w.run(120000);
  const eps = wan.episodes;
  const find = (k: string) => eps.find((e) => e.kind === k) as Episode;
  assert.deepEqual([find("blackhole").startMs, find("blackhole").endMs, find("blackhole").cuts], [2000, 12000, true]);
  assert.deepEqual([find("latency").endMs, find("latency").cuts], [23000, false]);
  assert.deepEqual([find("carrier-down").endMs], [6000]);
  assert.deepEqual([find("loss").endMs], [60000], "closed by restore");
  assert.equal(x.hooks.restored, 1);
  // Flap stopped early: down periods at 6, 16, 26 s; the one at 26 s cut short at 31 s; none after.
  const downs = ofKind(lte.episodes, "flap-down");
  assert.deepEqual(downs.map((d) => [d.startMs, d.endMs]), [[6000, 11000], [16000, 21000], [26000, 31000]]);
  assert.equal(lte.carrier, true);
  assert.deepEqual(ofKind(lte.episodes, "flap").map((e) => e.endMs), [31000]);
  // Hooks: every cutting episode started (blackhole, carrier-down, 3 flap downs), each ended by itself.
  assert.equal(x.hooks.cuts.length, 5);
  assert.deepEqual(x.hooks.ended.map(([l, t]) => `${l}@${t}`).sort(), ["lte0@11000", "lte0@21000", "lte0@31000", "wan0@12000", "wan0@6000"].sort());
});

test("two overlapping blackholes: the link stays cut until the later one ends", () => {
  const x = world([
    { atMs: 1000, link: "wan0", kind: "blackhole", durationMs: 5000 },
    { atMs: 3000, link: "wan0", kind: "blackhole", durationMs: 5000 },
  ]);
  const seen: boolean[] = [];
  for (const t of [2000, 5000, 7000, 8500]) x.w.clock.at(t, () => seen.push(x.w.link("wan0").forwards()));
  x.w.run(10000);
  assert.deepEqual(seen, [false, false, false, true]);
});

// ---- bufferbloat ----------------------------------------------------------------------------------

test("bufferbloat: RTT ramps up under load, holds, and drains after the load ends", () => {
  const x = world([{ atMs: 10000, link: "wan0", kind: "bufferbloat", peakMs: 1000, rampMs: 10000, drainMs: 2000, durationMs: 20000 }]);
  const out = probeEvery(x, "wan0", TCP, 250, 1000, 40000, 3000);
  x.w.run(45000);
  const rttAt = (t: number) => out.find((o) => o.at === t)!.rttMs;
  assert.equal(rttAt(5000), 12);
  assert.equal(rttAt(15000), 12 + 500, "half way up the ramp");
  assert.equal(rttAt(25000), 12 + 1000, "full buffer");
  assert.equal(rttAt(31000), 12 + 500, "draining");
  assert.equal(rttAt(32500), 12, "drained");
  const rtts = out.filter((o) => o.at >= 10000 && o.at <= 20000).map((o) => o.rttMs);
  for (let i = 1; i < rtts.length; i++) assert.ok(rtts[i] >= rtts[i - 1], "rises monotonically");
  assert.ok(out.every((o) => o.ok), "latency, not loss");
  assert.equal(x.w.link("wan0").effects.length, 0, "gone once drained");
  // A probe whose RTT exceeds its timeout is a timeout at timeoutMs.
  const y = world([{ atMs: 0, link: "wan0", kind: "bufferbloat", peakMs: 2000, rampMs: 1 }]);
  const late = probeEvery(y, "wan0", TCP, 1000, 5000, 5000, 1000);
  y.w.run(10000);
  assert.deepEqual([late[0].ok, late[0].doneAt], [false, 6000]);
});

// ---- icmp-limit and dns ---------------------------------------------------------------------------

test("icmp-limit: ICMP is dropped, policed and delayed; TCP and DNS are untouched", () => {
  const x = world([{ atMs: 0, link: "wan0", kind: "icmp-limit", rate: 0.5, extraMs: 200 }, { atMs: 0, link: "lte0", kind: "icmp-limit", perSecond: 1 }]);
  const icmp = probeEvery(x, "wan0", ICMP, 200, 1000, 600000);
  const tcp = probeEvery(x, "wan0", TCP, 200, 1100, 600000);
  const dns = probeEvery(x, "wan0", DNS_A, 200, 1050, 600000);
  const policed = probeEvery(x, "lte0", ICMP, 200, 1000, 600000);
  const lteTcp = probeEvery(x, "lte0", TCP, 200, 1100, 600000);
  x.w.run(601000);
  assert.ok(Math.abs(lossOf(icmp) - 0.5) < 0.03, `icmp loss ${lossOf(icmp)}`);
  assert.ok(icmp.filter((o) => o.ok).every((o) => o.rttMs === 212), "ICMP 200 ms late");
  assert.equal(lossOf(tcp), 0);
  assert.equal(lossOf(dns), 0);
  assert.ok(tcp.every((o) => o.rttMs === 12));
  // 5 probes a second through a 1/s bucket: about one in five answered.
  const answered = policed.filter((o) => o.ok).length;
  assert.ok(Math.abs(answered - 600) < 10, `${answered} answered in 600 s`);
  assert.equal(lossOf(lteTcp), 0);
});

test("dns-fail with hosts blocks only those resolvers, and only DNS", () => {
  const x = world([{ atMs: 0, link: "wan0", kind: "dns-fail", hosts: ["8.8.8.8"] }]);
  const a = probeEvery(x, "wan0", DNS_A, 1000, 1000, 60000);
  const b = probeEvery(x, "wan0", DNS_B, 1000, 1100, 60000);
  const icmp = probeEvery(x, "wan0", { kind: "icmp", host: "8.8.8.8" }, 1000, 1200, 60000);
  x.w.run(61000);
  assert.equal(lossOf(a), 1);
  assert.equal(lossOf(b), 0);
  assert.equal(lossOf(icmp), 0);
});

// ---- trace replay ---------------------------------------------------------------------------------

test("trace: rows drive loss and RTT per interval, total-loss rows merge into one cutting run, then nominal", () => {
  const csv = file("t.csv", "# test trace\nrtt_ms,loss,jitter_ms\n100,0,0\n0,1,0\n0,1,0\n200,0.5,0\n300,0,0\n");
  const x = world([{ atMs: 10000, link: "wan0", kind: "trace", file: "t.csv", intervalMs: 10000 }]);
  const out = probeEvery(x, "wan0", TCP, 20, 5000, 65000, 2000);
  const fw: Array<[number, boolean]> = [];
  for (const t of [15000, 25000, 35000, 45000, 55000, 65000]) x.w.clock.at(t, () => fw.push([t, x.w.link("wan0").forwards()]));
  x.w.run(70000);
  assert.ok(csv.endsWith("t.csv"));
  const row = (from: number, to: number) => out.filter((o) => o.at >= from && o.at + 400 < to);
  assert.ok(row(5000, 10000).every((o) => o.ok && o.rttMs === 12), "nominal before");
  assert.ok(row(10000, 20000).every((o) => o.ok && o.rttMs === 100));
  assert.ok(row(20000, 40000).every((o) => !o.ok), "total loss");
  const half = row(40000, 50000);
  assert.ok(Math.abs(lossOf(half) - 0.5) < 0.06, `half lost: ${lossOf(half)}`);
  assert.ok(half.filter((o) => o.ok).every((o) => o.rttMs === 200));
  assert.ok(row(50000, 60000).every((o) => o.ok && o.rttMs === 300));
  assert.ok(row(60000, 66000).every((o) => o.ok && o.rttMs === 12), "nominal after the last row");
  assert.deepEqual(fw.map(([, f]) => f), [true, false, false, true, true, true]);
  const runs = ofKind(x.w.link("wan0").episodes, "trace-loss");
  assert.deepEqual(runs.map((r) => [r.startMs, r.endMs, r.cuts]), [[20000, 40000, true]]);
  assert.deepEqual(ofKind(x.w.link("wan0").episodes, "trace").map((e) => [e.startMs, e.endMs]), [[10000, 60000]]);
  assert.deepEqual(x.hooks.cuts, [["wan0", 20000]]);
  assert.deepEqual(x.hooks.ended, [["wan0", 40000]]);
});

test("the shipped Starlink trace (synthetic) has mostly ~40 ms and short total-loss runs", () => {
  const sc = loadScenario(SCENARIOS + "starlink-trace.json");
  const rows = allRows(sc.faults[0].traceSpec!);
  const lens: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    let n = 0;
    while (i < rows.length && rows[i].lossUp >= 1) { n++; i++; }
    if (n > 0) lens.push(n);
  }
  assert.ok(lens.filter((l) => l === 1).length > lens.filter((l) => l > 1).length, "mostly 1 s runs");
  assert.ok(lens.some((l) => l >= 2 && l <= 3) && lens.every((l) => l <= 3));
  const rtts = rows.filter((r) => r.lossUp < 1).map((r) => r.delayUp + r.delayDown);
  const med = rtts.sort((a, b) => a - b)[rtts.length >> 1];
  assert.ok(med > 30 && med < 55, `median ${med}`);
});

// ---- determinism --------------------------------------------------------------------------------

test("the same seed gives the same episodes and outcomes; a model on one link does not reshuffle another", () => {
  const faults = [
    { atMs: 0, link: "wan0", kind: "burst-loss", goodMs: 5000, badMs: 300 },
    { atMs: 0, link: "lte0", kind: "gaps", everyMinMs: 10000, everyMaxMs: 20000, gapMinMs: 100, gapMaxMs: 900 },
  ];
  const once = (fs: unknown[], seed = 5) => {
    const x = world(fs, { seed });
    const out = probeEvery(x, "wan0", ICMP, 100, 0, 3600000);
    x.w.run(3600000);
    return JSON.stringify({ out, wan: x.w.link("wan0").episodes, lte: x.w.link("lte0").episodes });
  };
  const a = once(faults), b = once(faults);
  assert.equal(a, b);
  assert.notEqual(once(faults, 6), a, "another seed, another run");
  // Without the gaps on lte0, wan0's bursts and probe outcomes are the same.
  const wanOnly = (s: string) => JSON.stringify({ out: JSON.parse(s).out, wan: JSON.parse(s).wan });
  assert.equal(wanOnly(once([faults[0]])), wanOnly(a));
});

test("example scenarios with the new models run the firmware deterministically", () => {
  for (const name of ["lte-handover-gaps", "burst-loss", "starlink-trace"]) {
    const r1 = runScenario(example(name)).result;
    const r2 = runScenario(example(name)).result;
    assert.equal(JSON.stringify(r1), JSON.stringify(r2), name);
    assert.equal(r1.eventsLost, 0, name);
  }
});
