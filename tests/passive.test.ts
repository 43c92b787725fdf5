// Health from the traffic itself: users' packets that stop arriving make the active link suspect at
// once, packets that keep arriving prove it, probing backs off while they do, and a link's data
// budget paces what the router spends on it across billing periods.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario, type Scenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { SimWorld } from "../sim/world/world";
import { run, ofType } from "../testing/scenario-runs";
import type { TrafficCounters } from "../src/ports";
import { DataBudget, civil, daysFromCivil } from "../src/health/data-budget";
import { TRACE_RUNS } from "../bench/traces-class";

const LINKS = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2, loss: 0 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 10, loss: 0 },
];
const ICMP_TARGETS = ["1.1.1.1", "8.8.4.4"];

function scenario(name: string, seed: number, durationMs: number, faults: object[], extra: object = {}): Scenario {
  return parseScenario(JSON.stringify({ name, seed, durationMs, links: LINKS, faults, ...extra }), name);
}

const blackholeAt = (seed: number) => 60000 + ((seed * 7919) % 10000);

// With users' traffic a dead link is left about 1.2 s after their last packet: the silence is dated
// from it, and given 300 ms more than a probe-dated one so that a 1 s gap in their stream is not
// taken for an outage (silence.ts). What the user's call loses on a real stack: the testbed.
test("users' packets that stop arriving make the link suspect: a blackhole under busy traffic is left within 1.3 s", () => {
  const busy: number[] = [], idle: number[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const faults = [{ atMs: blackholeAt(seed), link: "wan0", kind: "blackhole" }];
    const withTraffic = scenario(`busy-blackhole-${seed}`, seed, 120000, faults, { traffic: { profile: "busy" } });
    // Seed 1 on both hosts: the passive path runs on XS as in Node.
    const r = seed === 1 ? run(withTraffic).result : runScenario(withTraffic).result;
    assert.equal(r.detectionMs.length, 1, `seed ${seed}: one switch`);
    busy.push(r.detectionMs[0]);
    idle.push(runScenario(scenario(`idle-blackhole-${seed}`, seed, 120000, faults)).result.detectionMs[0]);
  }
  assert.ok(Math.max(...busy) <= 1300, `with traffic: ${busy.map(Math.round).join(", ")} ms`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(busy) < mean(idle), `traffic makes detection faster: ${Math.round(mean(busy))} vs ${Math.round(mean(idle))} ms`);
});

test("users' traffic is evidence from its first seconds: a blackhole 6-8 s after boot, before the RTT is known well enough to slow probing, is left within 1.3 s", () => {
  // The testbed's case: a router a few seconds up, a call flowing. Slowing the baseline waits for
  // 16 RTT samples; suspecting a link whose users get nothing back must not.
  const seen: number[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const faults = [{ atMs: 6000 + ((seed * 7919) % 2000), link: "wan0", kind: "blackhole" }];
    const sc = scenario(`early-blackhole-${seed}`, seed, 30000, faults, { traffic: { profile: "busy" } });
    const r = seed === 1 ? run(sc).result : runScenario(sc).result;
    assert.equal(r.detectionMs.length, 1, `seed ${seed}: one switch`);
    seen.push(r.detectionMs[0]);
  }
  assert.ok(Math.max(...seen) <= 1300, `detection: ${seen.map(Math.round).join(", ")} ms`);
});

test("a blackhole on a 10 %-loss, 200 ms-jitter primary under users' traffic is left within 3.5 s", () => {
  // Their stream falling silent is what says the path died; the probes only rule out that the far
  // end stopped just then, so four to two targets do (detector.ts SILENT_BY_CHANCE_WITH_USERS), all
  // out at once (Detector.fastInFlight: with three, seed 7 waited for a slot and took 4.1 s).
  const t = TRACE_RUNS.find((x) => x.id === "lossy-jittery-blackhole")!;
  const seen: number[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const sc = t.make(seed, { profile: "busy" });
    const r = seed === 1 ? run(sc).result : runScenario(sc).result;
    assert.equal(r.detectionMs.length, 1, `seed ${seed}: the blackhole is left once`);
    seen.push(r.detectionMs[0]);
  }
  assert.ok(Math.max(...seen) <= 3500, `detection: ${seen.map(Math.round).join(", ")} ms`);
});

test("the same blackhole with nobody's traffic is left within 4.5 s: the echoes in flight together gather its evidence", () => {
  // Probes are all there is: at 10 % loss twelve overdue (detector.ts SILENT_BY_CHANCE), which
  // three probe sockets held two RTOs each took 6.9-10.7 s to gather. Echoes take no socket:
  // twelve out at once took 3.6-5.2 s while every other fast probe (DNS, TCP) still queued for a
  // socket; sent as echoes when the sockets are taken, 2.7-4.2 s. The target is 3.5 s: not met
  // (the RTO of this path, 1.5 x its peak RTT, is paid twice, and the twelve are spread over 1.1 s).
  const t = TRACE_RUNS.find((x) => x.id === "lossy-jittery-blackhole")!;
  const seen: number[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const r = seed === 1 ? run(t.make(seed)).result : runScenario(t.make(seed)).result;
    assert.equal(r.detectionMs.length, 1, `seed ${seed}: the blackhole is left once`);
    seen.push(r.detectionMs[0]);
  }
  assert.ok(Math.max(...seen) <= 4500, `detection: ${seen.map(Math.round).join(", ")} ms`);
});

test("1 s gaps every 20 s in the users' stream from 9 s after boot: no switch (the testbed's case)", () => {
  // Seen whole in the users' stream, such a gap lasts its second and a packet's spacing; and a
  // resolver asked inside it is not a DNS failure (four such answers made the link degraded).
  for (let seed = 1; seed <= 6; seed++) {
    const faults = [{ atMs: 9000, link: "wan0", kind: "gaps", everyMinMs: 20000, everyMaxMs: 20000, gapMinMs: 1000, gapMaxMs: 1000, durationMs: 180000 }];
    const sc = scenario(`traffic-gaps-${seed}`, seed, 250000, faults, { traffic: { profile: "busy" } });
    const r = seed === 1 ? run(sc).result : runScenario(sc).result;
    const wan = ofType(r.events, "link-state").filter((e) => e.link === "wan0" && e.atMs > 1000);
    assert.deepEqual(wan.map((e) => `${Math.round(e.atMs)} ${e.to} ${e.reason}`), [], `seed ${seed}`);
    assert.equal(r.failovers, 0, `seed ${seed}`);
  }
});

test("packets that keep arriving prove the path: every probe target lost, users' traffic flowing, the link stays up", () => {
  // Two ICMP targets, both gone (a changed upstream filter, say); resolvers aside, since a DNS
  // failure is a reason of its own to move.
  const config = { targets: ICMP_TARGETS.map((host) => ({ kind: "icmp", host })) };
  const faults = ICMP_TARGETS.map((target) => ({ atMs: 60000, link: "wan0", kind: "target-down", target }));
  const downs = (sc: Scenario) => ofType(runScenario(sc).result.events, "link-state").filter((e) => e.link === "wan0" && e.to === "down").length;
  assert.equal(downs(scenario("targets-gone-busy", 4, 300000, faults, { config, traffic: { profile: "busy" } })), 0, "busy: the users' packets prove it");
  // The same fault with nobody behind the router: probes are all there is, and they say down.
  assert.ok(downs(scenario("targets-gone-idle", 4, 300000, faults, { config })) >= 1, "idle: down on probes");
});

test("probing backs off while users' traffic proves the active link and runs at the full rate when it is idle", () => {
  const probes = (traffic?: object) => runScenario(scenario("hour", 2, 3600000, [], traffic ? { traffic } : {})).result.probes.wan0;
  const busy = probes({ profile: "busy" }), idle = probes();
  assert.ok(idle >= 3000, `idle: about one probe per 1.1 s (${idle})`);
  assert.ok(busy <= 3600 / 20 * 1.5, `busy: about one probe per 20 s (${busy})`);
});

test("the mixed profile: busy days back probing off, the quiet night brings it back to full rate", () => {
  // Start at 22:00: one busy hour, then night.
  const { world } = runScenario(scenario("mixed", 3, 2 * 3600000, [], { traffic: { profile: "mixed", startHour: 22 } }));
  const hb = world.broker.arrivals.filter((a) => a.topic.endsWith("/heartbeat")).map((a) => ({ at: a.atMs, hb: JSON.parse(a.payload) }));
  const rx = (at: number) => (hb.find((h) => h.at >= at)?.hb.links as Array<{ name: string; rxPps: number }>).find((l) => l.name === "wan0")?.rxPps ?? -1;
  assert.ok(rx(30 * 60000) >= 50, `22:30 evening traffic reported: ${rx(30 * 60000)} pkt/s`);
  assert.ok(rx(90 * 60000) <= 2, `23:30 night: ${rx(90 * 60000)} pkt/s`);
});

test("a data budget paces probing and heartbeats to last the billing day, warns the fleet, and starts over at midnight", () => {
  // Runs start at 12:00 UTC: the first day is half over; the second runs 12 h .. 36 h.
  const sc = scenario("budget", 5, 36 * 3600000 + 600000, [],
    { config: { links: { wan0: { budget: { bytes: 1000000, period: "day" } } } } });
  sc.links[0] = { ...sc.links[0], kind: "lte", rttMs: 45, jitterMs: 10 };
  const { result, world } = runScenario(sc);
  const notices = ofType(result.events, "budget").map((e) => ({ at: e.atMs, action: e.action }));
  assert.ok(notices.some((n) => n.action === "near" && n.at < 12 * 3600000), JSON.stringify(notices));
  const used = world.broker.arrivals.filter((a) => a.topic.endsWith("/heartbeat"))
    .map((a) => ({ at: a.atMs, used: (JSON.parse(a.payload).links as Array<{ name: string; usedBytes: number; budgetBytes?: number }>)[0] }));
  const before = (t: number) => used.filter((u) => u.at < t).pop()?.used;
  const after = (t: number) => used.find((u) => u.at > t)?.used;
  assert.equal(before(12 * 3600000)?.budgetBytes, 1000000, "the heartbeat reports the budget");
  assert.ok((after(12 * 3600000)?.usedBytes ?? Infinity) < 50000, "spending starts over at midnight");
  const day2 = before(36 * 3600000)?.usedBytes ?? Infinity;
  assert.ok(day2 <= 1000000, `a whole day within the budget: ${day2} bytes`);
  // Unpaced, the same link spends several times that (probes at 1.1 s, a heartbeat every 10 s).
  assert.ok(day2 >= 700000, `and the pace uses the budget, not a fraction of it: ${day2} bytes`);
});

test("a small budget on the standby paces its probing to last the day, keeps it up, and runs alike on XS and Node", () => {
  // Runs start at 12:00 UTC: 12 h of the day remain, so 2 h may spend a sixth of the 10 KB.
  const budgeted = run(scenario("budget-xs", 6, 2 * 3600000, [], { config: { links: { lte0: { budget: { bytes: 10000, period: "day" } } } } }));
  const free = runScenario(scenario("budget-free", 6, 2 * 3600000, []));
  const lte = (w: typeof free.world) => w.broker.arrivals.filter((a) => a.topic.endsWith("/heartbeat"))
    .map((a) => (JSON.parse(a.payload).links as Array<{ name: string; usedBytes: number; budgetBytes?: number }>).find((l) => l.name === "lte0")!);
  const paced = lte(budgeted.world).at(-1)!, unpaced = lte(free.world).at(-1)!;
  assert.equal(paced.budgetBytes, 10000, "the heartbeat reports the budget");
  assert.ok(paced.usedBytes <= 10000 / 6, `2 h of the standby within its share of the day: ${paced.usedBytes} bytes`);
  assert.ok(paced.usedBytes < unpaced.usedBytes / 4, `paced ${paced.usedBytes} bytes, unpaced ${unpaced.usedBytes}`);
  const lteStates = ofType(budgeted.result.events, "link-state").filter((e) => e.link === "lte0").map((e) => e.to);
  assert.deepEqual(lteStates, ["up"], "slower probing does not make the standby look down");
});

test("the simulated users: a blackhole stops their packets, a slow path delays them, loss thins them", () => {
  const w = new SimWorld({ seed: 9, links: LINKS.map((l) => ({ ...l, kind: l.kind as "ethernet" | "lte" })), deviceId: "t", traffic: { profile: "busy", rxPps: 100 } });
  w.defaultRoute = "wan0";
  const c: TrafficCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, lastRxAt: -1 };
  const wan = w.link("wan0");
  w.run(10000);
  w.traffic.read("wan0", c);
  const clean = c.rxPackets;
  assert.ok(clean > 900 && clean < 1100, `about 100/s: ${clean}`);
  wan.blackhole = true;
  w.run(20000);
  w.traffic.read("wan0", c);
  assert.ok(c.lastRxAt < 10100, `nothing arrives under the blackhole (last at ${c.lastRxAt})`);
  assert.ok(c.txPackets > 900, "users keep sending");
  wan.blackhole = false;
  wan.addEffect({ kind: "loss", rate: 0.5, marks: true, episode: { kind: "loss", startMs: 20000, endMs: null, cuts: false } });
  const before = c.rxPackets;
  w.run(30000);
  w.traffic.read("wan0", c);
  const thinned = c.rxPackets - before;
  assert.ok(thinned > 400 && thinned < 600, `half get through at 50 % loss: ${thinned}`);
  for (const e of [...wan.effects]) wan.endEffect(e);
  wan.addEffect({ kind: "latency", rttMs: 3000, marks: true, episode: { kind: "latency", startMs: 30000, endMs: null, cuts: false } });
  w.run(31000);
  w.traffic.read("wan0", c);
  const late = c.lastRxAt;
  w.run(40000);
  w.traffic.read("wan0", c);
  assert.ok(late < 30100 && c.lastRxAt > 39000, `a 3 s path: a 1.5 s pause, then packets arrive late (${late}, ${c.lastRxAt})`);
  assert.equal(w.link("lte0").probes, 0);
});

test("billing periods: calendar arithmetic without Date agrees with Date over 200 years; months start on the billing day", () => {
  for (let days = -30000; days < 50000; days += 7) {
    const d = new Date(days * 86400000);
    const c = civil(days);
    assert.deepEqual(c, { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() });
    assert.equal(daysFromCivil(c.y, c.m, c.d), days);
  }
  const b = new DataBudget({ bytes: 1e9, period: "month", billingDay: 15, warnPct: 80 });
  b.add(1, 0, Date.UTC(2026, 0, 3, 10)); // 3 January: the period began on 15 December
  assert.equal(b.periodStart, Date.UTC(2025, 11, 15));
  assert.equal(b.endsAt, Date.UTC(2026, 0, 15));
  b.add(1, 1, Date.UTC(2026, 0, 15, 0, 0, 1)); // a new period: spending starts over
  assert.equal(b.periodStart, Date.UTC(2026, 0, 15));
  assert.equal(b.used, 1);
});
