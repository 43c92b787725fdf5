// Trace replay that carries real recordings: timestamped rows, per-direction loss and delay,
// silences that hold packets for late delivery (or drop them when the buffer is full), partly lost
// rows cut as silences in the ground truth, not-measured cells, a start offset, repeat, files read
// forward in chunks, mahimahi delivery-opportunity pairs, and what a link reset costs. Probes go
// through the real prober port; the ground truth is SimLink.episodes and forwards().
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeTarget } from "../../src/ports";
import { parseScenario, ScenarioError } from "../scenario/load-scenario";
import { scheduleFaults } from "../scenario/faults";
import { runScenario } from "../scenario/run-scenario";
import { BootContext } from "../world/boot-context";
import { proberFor } from "../world/sim-ports";
import { SimWorld } from "../world/world";
import type { Episode } from "../world/sim-link";
import { TraceCursor } from "../world/trace-timeline";

const LINKS = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 20, jitterMs: 0, loss: 0 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 0, loss: 0 },
];
const TCP: ProbeTarget = { kind: "tcp", host: "9.9.9.9", port: 443 };

const tmp = mkdtempSync(join(tmpdir(), "trace-replay-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

function scenario(faults: unknown[], extra: Record<string, unknown> = {}) {
  return parseScenario(JSON.stringify({ name: "t", seed: 3, durationMs: 86400000, links: LINKS, faults, ...extra }), join(tmp, "t.json"));
}

function world(faults: unknown[], extra: Record<string, unknown> = {}) {
  const sc = scenario(faults, extra);
  const w = new SimWorld({ seed: sc.seed, links: sc.links, deviceId: "t", traffic: sc.traffic });
  const prober = proberFor(new BootContext(w.clock, 1), w);
  const cuts: Array<[string, number]> = [];
  scheduleFaults(w, sc.faults, sc.config.targets[0].host, { cut: (l, at) => cuts.push([l.name, at]), restored: () => {}, ended: () => {} });
  return { w, prober, sc, cuts };
}

interface Outcome { at: number; ok: boolean; rttMs: number }
function probeAt(x: ReturnType<typeof world>, times: number[], timeoutMs = 20000, link = "wan0"): Outcome[] {
  const out: Outcome[] = [];
  for (const at of times) {
    x.w.clock.at(at, () => {
      const o: Outcome = { at, ok: false, rttMs: -1 };
      out.push(o);
      x.prober.probe(link, TCP, timeoutMs, (r) => { o.ok = r.ok; o.rttMs = r.rttMs; });
    });
  }
  return out;
}

const traceLoss = (eps: Episode[]) => eps.filter((e) => e.kind === "trace-loss").map((e) => [e.startMs, e.endMs]);

function rejects(faults: unknown[], message: RegExp, extra: Record<string, unknown> = {}): void {
  assert.throws(() => scenario(faults, extra), (e: unknown) => {
    assert.ok(e instanceof ScenarioError, String(e));
    assert.match((e as Error).message, message);
    return true;
  });
}

test("timestamped rows hold until the next row's time; the last lasts as the step before it", () => {
  file("timed.csv", "t_ms,loss,rtt_ms\n1000,0,100\n1500,0,300\n4000,0,50\n");
  const x = world([{ atMs: 10000, link: "wan0", kind: "trace", file: "timed.csv" }]);
  const out = probeAt(x, [10100, 10600, 12000, 13900, 14100, 16600, 20000]);
  x.w.run(30000);
  // Times count from the first row: 0-500 ms at 100, 500-3000 at 300, 3000-5500 at 50, then nominal.
  assert.deepEqual(out.map((o) => o.rttMs), [100, 300, 300, 50, 50, 20, 20]);
  assert.deepEqual(x.w.link("wan0").episodes.filter((e) => e.kind === "trace").map((e) => [e.startMs, e.endMs]), [[10000, 15500]]);
});

test("a bad trace row is refused with file:line and the column; times must increase", () => {
  const cases: Array<[string, RegExp]> = [
    ["t_ms,loss,rtt_ms\n0,0,40\n1000,0,40\n1000,0,40\n", /timed-bad\.csv:4: t_ms 1000 is not after the previous row's 1000/],
    ["t_ms,loss,rtt_ms\n0,0,40\n,0,40\n", /timed-bad\.csv:3: t_ms is empty/],
    ["loss_up,loss_down,delay_up_ms,delay_down_ms\n0,0,10,10\n0,x,10,10\n", /timed-bad\.csv:3: loss_down 'x' is not a number/],
    ["loss,loss_up,rtt_ms\n0,0,40\n", /timed-bad\.csv:1: the header needs columns loss and rtt_ms/],
    ["loss,rtt_ms,colour\n0,40,red\n", /timed-bad\.csv:1: unknown column 'colour'/],
    ["loss_up,loss_down,rtt_ms\n0,1.2,40\n", /timed-bad\.csv:2: loss_down 1\.2 is above 1/],
  ];
  for (const [text, message] of cases) {
    file("timed-bad.csv", text);
    rejects([{ atMs: 0, link: "wan0", kind: "trace", file: "timed-bad.csv" }], message);
  }
});

test("trace fields: unknown ones, the wrong format's, an offset past the end and a buffer time without a buffer are refused", () => {
  file("ok.csv", "loss,rtt_ms\n0,40\n0,40\n");
  rejects([{ atMs: 0, link: "wan0", kind: "trace", file: "ok.csv", colour: 1 }], /\/faults\/0 must NOT have additional properties|colour/);
  rejects([{ atMs: 0, link: "wan0", kind: "trace", file: "ok.csv", upFile: "a.up" }], /\/faults\/0: field 'upFile' is used by format 'mahimahi' only/);
  rejects([{ atMs: 0, link: "wan0", kind: "trace", format: "mahimahi", upFile: "a.up" }], /\/faults\/0: format 'mahimahi' needs upFile and downFile/);
  rejects([{ atMs: 0, link: "wan0", kind: "trace" }], /\/faults\/0: kind 'trace' needs file/);
  rejects([{ atMs: 0, link: "wan0", kind: "trace", file: "ok.csv", offsetMs: 2000 }], /\/faults\/0\/offsetMs 2000 is not inside the trace \(2000 ms long\)/);
  rejects([{ atMs: 0, link: "wan0", kind: "trace", file: "ok.csv", bufferMs: 500 }], /\/faults\/0\/bufferMs: needs bufferPackets above 0/);
  rejects([{ atMs: 0, link: "wan0", kind: "trace", file: "ok.csv", partialLoss: "some" }], /partialLoss/);
  rejects([], /\/links\/0\/resetMs|resetMs/, { links: [{ ...LINKS[0], resetMs: -1 }, LINKS[1]] });
});

test("a bad scenario field is refused naming the file, the field's line and its pointer", () => {
  const text = (fault: string) => `{
  "name": "t", "durationMs": 60000,
  "links": [
    { "name": "wan0", "kind": "ethernet", "priority": 1 },
    { "name": "lte0", "kind": "lte", "priority": 2 }
  ],
  "faults": [
    { "atMs": 0, "link": "lte0", "kind": "blackhole" },
    { "atMs": 1000, "link": "wan0", "kind": "trace",
${fault} }
  ]
}`;
  file("ok2.csv", "loss,rtt_ms\n0,40\n");
  const refuse = (fault: string, message: RegExp) => assert.throws(() => parseScenario(text(fault), join(tmp, "lines.json")), message);
  refuse(`      "file": "ok2.csv", "colour": 1`, /lines\.json:10: \/faults\/1 must NOT have additional properties 'colour'/);
  refuse(`      "file": "ok2.csv", "rate": 1`, /lines\.json:10: \/faults\/1: field 'rate' is not used by kind 'trace'/);
  refuse(`      "file": "ok2.csv",\n      "offsetMs": 5000`, /lines\.json:11: \/faults\/1\/offsetMs 5000 is not inside the trace/);
  refuse(`      "file": "ok2.csv", "bufferPackets": -1`, /lines\.json:10: \/faults\/1\/bufferPackets must be >= 0/);
});

test("per direction: an uplink silence stops probes, and a round trip later the users' ACK-clocked downstream; delays add up per way", () => {
  file("dir.csv", "loss_up,loss_down,delay_up_ms,delay_down_ms\n0,0,10,90\n1,0,10,90\n0,1,10,90\n0,0,10,90\n");
  const x = world([{ atMs: 10000, link: "wan0", kind: "trace", file: "dir.csv", intervalMs: 10000 }],
    { traffic: { profile: "busy", rxPps: 50 } });
  x.w.setDefaultRoute("wan0");
  const out = probeAt(x, [15000, 25000, 35000, 45000], 2000);
  const rx: number[] = [];
  const c = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, lastRxAt: -1 };
  for (const t of [20000, 30000, 40000, 50000]) x.w.clock.at(t, () => { x.w.traffic.read("wan0", c); rx.push(c.rxPackets); });
  x.w.run(60000);
  assert.deepEqual(out.map((o) => [o.ok, o.rttMs]), [[true, 100], [false, 0], [false, 0], [true, 100]]);
  const per = rx.map((n, i) => n - (i ? rx[i - 1] : 0));
  assert.ok(per[0] > 400, `downstream packets before the silences: ${per[0]}`);
  // The far end stops sending an RTT (100 ms) and 200 ms after it last heard from the users.
  assert.ok(per[1] < 40, `downstream packets through an uplink silence: ${per[1]}`);
  assert.ok(per[2] < 10, `downstream packets through a downlink silence: ${per[2]}`);
  assert.ok(per[3] > 400, `downstream packets once both ways work again: ${per[3]}`);
  // Both silences are outages in the ground truth: nothing makes a round trip.
  assert.deepEqual(traceLoss(x.w.link("wan0").episodes), [[20000, 40000]]);
});

test("late delivery: a packet meeting a silence waits in the buffer and arrives after it; a full buffer or a long wait drops it", () => {
  file("late.csv", "loss,rtt_ms\n0,20\n1,20\n0,20\n1,20\n1,20\n1,20\n0,20\n");
  const held = world([{ atMs: 0, link: "wan0", kind: "trace", file: "late.csv", bufferPackets: 2, bufferMs: 2500 }]);
  // Row 1 (1-2 s) is silent: three probes go in, the buffer holds two. Rows 3-5 (3-6 s) outlast bufferMs.
  const out = probeAt(held, [1200, 1500, 1700, 3100], 5000);
  held.w.run(10000);
  assert.deepEqual(out.map((o) => [o.ok, Math.round(o.rttMs)]), [[true, 820], [true, 520], [false, 0], [false, 0]]);
  // Without a buffer (the default for CSV) the same probes are lost, as before.
  const lost = world([{ atMs: 0, link: "wan0", kind: "trace", file: "late.csv" }]);
  const out2 = probeAt(lost, [1200, 1500], 5000);
  lost.w.run(10000);
  assert.deepEqual(out2.map((o) => o.ok), [false, false]);
  assert.deepEqual(traceLoss(held.w.link("wan0").episodes), traceLoss(lost.w.link("wan0").episodes));
});

test("partialLoss cut: a partly lost row is silent for its lost share, next to the silence it borders; the ground truth counts it", () => {
  file("part.csv", "loss,rtt_ms\n0,20\n0.4,20\n1,20\n0.25,20\n0,20\n0.5,20\n0,20\n");
  const cut = world([{ atMs: 0, link: "wan0", kind: "trace", file: "part.csv", partialLoss: "cut" }]);
  const fw: boolean[] = [];
  for (const t of [1500, 1700, 2500, 3100, 3300, 5200, 5700]) cut.w.clock.at(t, () => fw.push(cut.w.link("wan0").forwards()));
  const out = probeAt(cut, [1100, 1300, 4000, 5100, 5600], 1000);
  cut.w.run(8000);
  assert.deepEqual(traceLoss(cut.w.link("wan0").episodes), [[1600, 3250], [5500, 6000]]);
  assert.deepEqual(fw, [true, false, false, false, true, true, false]);
  // Outside the cut part a partly lost row loses nothing.
  assert.deepEqual(out.map((o) => o.ok), [true, true, true, true, false]);
  // The default (random) keeps the old meaning: only whole rows are outages.
  const rnd = world([{ atMs: 0, link: "wan0", kind: "trace", file: "part.csv" }]);
  rnd.w.run(8000);
  assert.deepEqual(traceLoss(rnd.w.link("wan0").episodes), [[2000, 3000]]);
});

test("not measured cells take the link's own figures; an offset starts mid-trace; repeat loops", () => {
  file("nm.csv", "loss,rtt_ms,jitter_ms\n0,100,0\n-,-,-\n0,300,\n1,10,0\n");
  const x = world([{ atMs: 0, link: "wan0", kind: "trace", file: "nm.csv" }]);
  const out = probeAt(x, [500, 1500, 2500], 1000);
  x.w.run(5000);
  assert.deepEqual(out.map((o) => o.rttMs), [100, 20, 300]);
  const off = world([{ atMs: 0, link: "wan0", kind: "trace", file: "nm.csv", offsetMs: 2000 }]);
  const out2 = probeAt(off, [500, 1500, 2500], 1000);
  off.w.run(5000);
  assert.deepEqual(out2.map((o) => [o.ok, o.rttMs]), [[true, 300], [false, 0], [true, 20]]);
  assert.deepEqual(traceLoss(off.w.link("wan0").episodes), [[1000, 2000]]);
  const rep = world([{ atMs: 0, link: "wan0", kind: "trace", file: "nm.csv", repeat: true, durationMs: 10000 }]);
  rep.w.run(12000);
  assert.deepEqual(traceLoss(rep.w.link("wan0").episodes), [[3000, 4000], [7000, 8000]]);
});

test("mahimahi: delivery opportunities per interval; a long silence is an outage, a short one only delays; bad lines are refused", () => {
  // Up: an opportunity every 5 ms except 1000-1100 (short) and 2000-3000 (long). Down: every 5 ms.
  const up: number[] = [], down: number[] = [];
  for (let t = 0; t < 5000; t += 5) {
    down.push(t);
    if (!(t >= 1000 && t < 1100) && !(t >= 2000 && t < 3000)) up.push(t);
  }
  file("m.up", up.join("\n") + "\n");
  file("m.down", down.join("\n") + "\n");
  const x = world([{ atMs: 0, link: "wan0", kind: "trace", format: "mahimahi", upFile: "m.up", downFile: "m.down" }]);
  const out = probeAt(x, [500, 1020, 2100], 3000);
  const fw: boolean[] = [];
  for (const t of [1050, 2500]) x.w.clock.at(t, () => fw.push(x.w.link("wan0").forwards()));
  x.w.run(8000);
  // Nominal RTT 20 ms; a probe in a silence leaves when it ends (late delivery).
  assert.deepEqual(out.map((o) => [o.ok, Math.round(o.rttMs)]), [[true, 20], [true, 100], [true, 920]]);
  assert.deepEqual(fw, [true, false]);
  assert.deepEqual(traceLoss(x.w.link("wan0").episodes), [[2000, 3000]]);
  assert.equal(x.sc.faults[0].traceSpec!.durationMs, 5000);
  file("bad.up", "0\n5\n3\n");
  rejects([{ atMs: 0, link: "wan0", kind: "trace", format: "mahimahi", upFile: "bad.up", downFile: "m.down" }],
    /bad\.up:3: opportunity time 3 is before the previous line's 5/);
  file("bad2.up", "0\n5\n7.5\n");
  rejects([{ atMs: 0, link: "wan0", kind: "trace", format: "mahimahi", upFile: "bad2.up", downFile: "m.down" }],
    /bad2\.up:3: opportunity time '7\.5' is not a whole number of ms/);
});

test("a long trace is read forward, never held whole: an hour at 10 ms keeps a small window", async () => {
  const f = join(tmp, "hour.csv");
  const ws = createWriteStream(f);
  ws.write("loss,rtt_ms\n");
  const rows = 360000;
  for (let i = 0; i < rows; i++) ws.write(i % 6000 < 100 ? "1,30\n" : `0,${30 + (i % 7)}\n`);
  await new Promise((r) => ws.end(r));
  const x = world([{ atMs: 0, link: "wan0", kind: "trace", file: "hour.csv", intervalMs: 10 }]);
  const link = x.w.link("wan0");
  let cursor: TraceCursor | null = null;
  x.w.clock.at(1, () => { const e = link.effects.find((e) => e.kind === "trace"); if (e && e.kind === "trace") cursor = e.cursor; });
  x.w.clock.after(100, () => { link.forwards(); }, 100);
  x.w.run(3600000 + 1000);
  const c = cursor as unknown as TraceCursor;
  assert.equal(c.rowsRead, rows);
  assert.ok(c.maxWindow < 100, `rows held at once: ${c.maxWindow}`);
  assert.equal(traceLoss(link.episodes).length, 60);
});

test("a reset costs what the link's kind costs: the link is down that long, and the result counts resets and their cost", () => {
  const sc = (resetMs?: number) => parseScenario(JSON.stringify({
    name: "wedged", seed: 4, durationMs: 900000,
    ...(resetMs !== undefined ? { resetMs: { lte: resetMs } } : {}),
    links: [{ name: "wan0", kind: "ethernet", priority: 1, rttMs: 12 }, { name: "lte0", kind: "lte", priority: 2, rttMs: 60 }],
    faults: [{ atMs: 60000, link: "lte0", kind: "wedge" }],
  }), "wedged");
  const downFor = (s: ReturnType<typeof sc>) => {
    let downAt = -1;
    const spans: number[] = [];
    const r = runScenario(s, { prepare: (w) => w.clock.after(100, () => {
      const up = w.link("lte0").carrier;
      if (!up && downAt < 0) downAt = w.clock.now();
      if (up && downAt >= 0) { spans.push(w.clock.now() - downAt); downAt = -1; }
    }, 100) }).result;
    return { r, spans };
  };
  const modem = downFor(sc(30000));
  assert.ok(modem.r.linkResets.length >= 1, "the router reset the wedged modem");
  assert.ok(modem.r.linkResets.every((x) => x.link === "lte0" && x.costMs === 30000));
  assert.ok(modem.spans.length >= 1 && modem.spans.every((s) => s >= 30000 && s <= 30200), `down for ${modem.spans}`);
  const cheap = downFor(sc());
  assert.ok(cheap.r.linkResets.every((x) => x.costMs === 3000), "without resetMs the old 3 s");
  // A link's own figure wins over its kind's.
  const own = parseScenario(JSON.stringify({ name: "d", durationMs: 1000, resetMs: { lte: 30000 },
    links: [{ name: "wan0", kind: "ethernet", priority: 1 }, { name: "dish", kind: "ethernet", priority: 2, resetMs: 600000 }] }), "d");
  assert.deepEqual(own.links.map((l) => l.resetMs), [undefined, 600000]);
});
