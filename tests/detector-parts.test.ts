// The detector's parts, each on its own (src/health): the baseline cadence, target choice, the
// probe slots, the estimator's probe timeouts, quality with hysteresis, the decision, and the
// detector's phases driven through a LinkMonitor on a hand-cranked clock and a scripted path.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Clock, ProbeResult, ProbeTarget, Prober, Traffic, TrafficCounters } from "../src/ports";
import { defaultConfig, type DeviceConfig } from "../src/config/config";
import { baselineIntervalMs, type PaceFacts } from "../src/health/cadence";
import { TargetSet } from "../src/health/targets";
import { ProbeSlots, STUCK, type ProbeSlot } from "../src/health/probe-slots";
import { SocketBudget } from "../src/health/socket-budget";
import { PathEstimator } from "../src/health/estimator";
import { Quality, binomialAtMost } from "../src/health/quality";
import { LinkDecision, nextLinkState, type DownEvidence, type Step } from "../src/health/link-state";
import { LinkMonitor } from "../src/health/link-monitor";
import { PROBE_BYTES_IN, PROBE_BYTES_OUT, PROBE_COST } from "../src/health/probe-cost";

interface Timer { at: number; seq: number; every: number; fn: () => void; dead: boolean }

/** A clock the test turns by hand: timers fire in (time, creation) order. */
class HandClock implements Clock {
  t = 0;
  #seq = 0;
  #timers: Timer[] = [];
  now(): number { return this.t; }
  once(ms: number, fn: () => void): Timer { return this.#add(ms, 0, fn); }
  every(ms: number, fn: () => void): Timer { return this.#add(ms, ms, fn); }
  cancel(h: unknown): void { (h as Timer).dead = true; }
  wallMs(): number { return 0; }
  #add(ms: number, every: number, fn: () => void): Timer {
    const h = { at: this.t + ms, seq: this.#seq++, every, fn, dead: false };
    this.#timers.push(h);
    return h;
  }
  /** Run every timer due by `until`, then stand at `until`. */
  runTo(until: number, each?: () => void): void {
    for (;;) {
      this.#timers = this.#timers.filter((h) => !h.dead);
      let next: Timer | null = null;
      for (const h of this.#timers) if (h.at <= until && (!next || h.at < next.at || (h.at === next.at && h.seq < next.seq))) next = h;
      if (!next) break;
      this.t = next.at;
      if (next.every > 0) { next.at += next.every; next.seq = this.#seq++; } else next.dead = true;
      next.fn();
      each?.();
    }
    this.t = until;
  }
}

/** A path the test scripts: answers after `rttMs` while `up`, otherwise the timeout. */
class ScriptedPath implements Prober {
  up = true;
  rttMs = 10;
  sent: Array<{ target: ProbeTarget; timeoutMs: number; at: number }> = [];
  /** How the platform answers a kind it cannot send as asked (null: as asked). */
  asIcmp: Set<string> = new Set();
  constructor(private clock: HandClock) {}
  probe(_link: string, target: ProbeTarget, timeoutMs: number, done: (r: ProbeResult) => void): void {
    this.sent.push({ target, timeoutMs, at: this.clock.now() });
    const fallback = this.asIcmp.has(target.kind) ? { sentAs: "icmp" as const } : {};
    if (this.up) this.clock.once(this.rttMs, () => done({ ok: true, rttMs: this.rttMs, ...fallback }));
    else this.clock.once(timeoutMs, () => done({ ok: false, rttMs: 0, reason: "timeout", ...fallback }));
  }
}

const NO_TRAFFIC: Traffic = { read: () => false };

function monitorOn(cfg: DeviceConfig = defaultConfig()) {
  const clock = new HandClock();
  const path = new ScriptedPath(clock);
  const steps: Step[] = [];
  let bytes = 0;
  const m = new LinkMonitor({
    link: "wan0", cfg, clock, prober: path, budget: new SocketBudget(cfg.probe.maxInFlight), traffic: NO_TRAFFIC, carrier: true,
    onStep: (_m, _from, step) => steps.push(step), onBytes: (b) => { bytes += b; },
  });
  m.setRole("active");
  return { clock, path, steps, m, bytes: () => bytes };
}

test("cadence: the baseline interval for each kind of link", () => {
  const p = defaultConfig().probe;
  const base: PaceFacts = { down: false, standby: false, busy: false, suspect: false, lossPct: 0 };
  const cases: Array<[Partial<PaceFacts>, number]> = [
    [{}, p.intervalMs],
    [{ down: true, standby: true, busy: true }, p.downIntervalMs],
    [{ standby: true }, p.standbyIntervalMs],
    [{ busy: true }, p.busyIntervalMs],
    [{ busy: true, suspect: true }, p.intervalMs],
    [{ busy: true, lossPct: 20 }, p.intervalMs],
    [{ standby: true, pace: () => 3 }, 3 * p.standbyIntervalMs],
    [{ pace: () => 0.5 }, p.intervalMs],
  ];
  for (const [f, want] of cases) assert.equal(baselineIntervalMs(p, 20, { ...base, ...f }), want, JSON.stringify(f));
  let asked = 0;
  baselineIntervalMs(p, 20, { ...base, down: true, pace: () => { asked++; return 2; } });
  assert.equal(asked, 0, "a down link's interval does not move the data budget's clock");
});

test("targets: fast probes take every live target in turn; with every probe socket taken, the live echoes in the same turn", () => {
  const cfg = defaultConfig();
  const ts = new TargetSet([
    { kind: "icmp", host: "a" }, { kind: "dns", host: "r", name: "x" }, { kind: "tcp", host: "t", port: 443 }, { kind: "icmp", host: "b" },
  ], cfg.probe);
  assert.deepEqual([ts.fast(), ts.fast(), ts.fastEcho(), ts.fast(), ts.fastEcho(), ts.fast()].map((t) => t?.target.host), ["a", "r", "b", "a", "b", "a"]);
  const noEcho = new TargetSet([{ kind: "dns", host: "r", name: "x" }, { kind: "tcp", host: "t", port: 443 }], cfg.probe);
  assert.equal(noEcho.fastEcho(), null, "no echo target: nothing to send without a socket");
  assert.equal(noEcho.fast().target.host, "r");
});

test("targets: service rounds for the dearer kinds, the cheapest live kind otherwise, dead ones retried", () => {
  const cfg = defaultConfig();
  const ts = new TargetSet([
    { kind: "icmp", host: "a" }, { kind: "dns", host: "r", name: "x" }, { kind: "icmp", host: "b" },
  ], cfg.probe);
  const seq = (now: number, n: number, dnsOnly = false) => Array.from({ length: n }, () => ts.baseline(now, dnsOnly ? "dns" : null).target.host);
  assert.deepEqual(seq(0, 5), ["r", "a", "b", "a", "b"], "one service probe, then the echoes in turn");
  assert.deepEqual(seq(cfg.probe.serviceIntervalMs, 2), ["r", "a"], "the next service round when due");
  ts.serviceBy(cfg.probe.serviceIntervalMs + 1000);
  assert.deepEqual(seq(cfg.probe.serviceIntervalMs + 1000, 2, true), ["r", "b"], "a failing resolver is asked again sooner");
  // "b" keeps missing while "a" (its kind's mate) answers: b is dead, retried after deadTargetRetryMs.
  const b = ts.list[2];
  for (let i = 0; i < cfg.probe.deadTargetMisses; i++) ts.missed(b, 0);
  ts.setAsideDead(500000);
  assert.equal(ts.deadCount, 1);
  assert.deepEqual(seq(500001, 3), ["r", "a", "a"], "b is skipped");
  assert.equal(ts.baseline(500000 + cfg.probe.deadTargetRetryMs).target.host, "b", "retried when due");
  ts.answered(b, 0, true);
  assert.equal(ts.deadCount, 0);
  assert.equal(ts.spans(ts.list[0].bit), false, "one target of several is not enough evidence");
  assert.equal(ts.spans(ts.list[0].bit | ts.list[2].bit), true);
  // Both of a kind missing is not the targets' fault: neither is set aside.
  const both = new TargetSet([{ kind: "icmp", host: "a" }, { kind: "icmp", host: "b" }], cfg.probe);
  for (const t of both.list) for (let i = 0; i < 9; i++) both.missed(t, 0);
  both.setAsideDead(0);
  assert.equal(both.deadCount, 0);
  // ...unless another kind answered while all of it kept missing (an ICMP filter): the echo targets
  // are set aside together; an answer from before they began to miss, or an echo sent in a
  // resolver's place, is no such proof; resolvers are never set aside by kind.
  const filtered = () => new TargetSet([{ kind: "icmp", host: "a" }, { kind: "tcp", host: "t", port: 443 },
    { kind: "icmp", host: "b" }, { kind: "dns", host: "r", name: "example.com" }], cfg.probe);
  const cases: Array<[string, (f: TargetSet) => void, number]> = [
    ["tcp answered after both echoes began to miss", (f) => f.answered(f.list[1], 50, true), 2],
    ["tcp answered before", (f) => f.answered(f.list[1], 5, true), 0],
    ["only an echo in the resolver's place answered", (f) => f.answered(f.list[3], 50, false), 0],
  ];
  for (const [name, answer, dead] of cases) {
    const f = filtered();
    for (let i = 0; i < cfg.probe.deadTargetMisses; i++) { f.missed(f.list[0], 10 + i); f.missed(f.list[2], 20 + i); }
    answer(f);
    f.setAsideDead(100);
    assert.equal(f.deadCount, dead, name);
  }
  const resolvers = new TargetSet([{ kind: "icmp", host: "a" }, { kind: "dns", host: "r", name: "example.com" }], cfg.probe);
  for (let i = 0; i < 9; i++) resolvers.missed(resolvers.list[1], 10);
  resolvers.answered(resolvers.list[0], 50, true);
  resolvers.setAsideDead(100);
  assert.equal(resolvers.deadCount, 0, "a resolver is not set aside for its kind");
});

test("probe slots: allocated once, a late answer to an abandoned probe is not heard, stuck probes count once", () => {
  const clock = new HandClock();
  const path = new ScriptedPath(clock);
  path.up = false;
  const budget = new SocketBudget(2);
  const heard: Array<[ProbeSlot, ProbeResult]> = [];
  const slots = new ProbeSlots(2, "wan0", path, budget, (s, r) => heard.push([s, r]));
  const before = slots.all.slice();
  const target = new TargetSet([{ kind: "tcp", host: "a", port: 443 }], defaultConfig().probe).list[0];
  const send = () => slots.request(false, false, (socket) => {
    const s = slots.free() as ProbeSlot;
    slots.send(s, target, true, clock.now(), 1000, socket);
    slots.launch(s);
  });
  send();
  send();
  assert.equal(slots.busyCount(), 2);
  assert.equal(slots.full, true);
  assert.equal(budget.inUse, 2);
  slots.abandonAll();
  assert.equal(budget.inUse, 0, "abandoning gives the sockets back");
  send();
  clock.runTo(1000);
  assert.equal(heard.length, 1, "only the probe still ours is heard; the two abandoned answered into the void");
  assert.equal(budget.inUse, 0);
  path.up = true;
  path.rttMs = 5000;
  send();
  assert.equal(slots.abandonStuck(clock.now() + 1500, 400), 1);
  assert.equal(heard[1][1], STUCK);
  clock.runTo(10000);
  assert.equal(heard.length, 2, "the stuck probe's late answer is ignored");
  assert.deepEqual(slots.all, before);
  for (let i = 0; i < 2; i++) assert.equal(slots.all[i], before[i], "the same slot objects throughout");
});

test("probe slots: an ICMP echo takes no socket, so a link's echoes are bounded by its slots and other probes by the shared budget", () => {
  const clock = new HandClock();
  const path = new ScriptedPath(clock);
  path.up = false;
  const budget = new SocketBudget(1);
  const slots = new ProbeSlots(4, "wan0", path, budget, () => {});
  const [echo, tcp] = new TargetSet([{ kind: "icmp", host: "a" }, { kind: "tcp", host: "b", port: 443 }], defaultConfig().probe).list;
  const sent: string[] = [];
  const send = (t: typeof echo) => slots.request(false, t === echo, (socket) => {
    const s = slots.free();
    if (!s) return slots.unused(socket);
    slots.send(s, t, true, clock.now(), 1000, socket);
    slots.launch(s);
    sent.push(t.target.kind);
  });
  send(tcp);
  send(tcp);
  assert.deepEqual(sent, ["tcp"], "the second TCP probe waits for the one socket");
  assert.equal(slots.pending, 1);
  for (let i = 0; i < 3; i++) send(echo);
  assert.deepEqual(sent, ["tcp", "icmp", "icmp", "icmp"], "echoes go out while every socket is taken");
  assert.equal(budget.inUse, 1, "and take none");
  assert.equal(slots.full, true);
  clock.runTo(1000);
  // The echoes expired without giving back a socket they never had; the TCP probe's socket went to the one waiting.
  assert.deepEqual(sent, ["tcp", "icmp", "icmp", "icmp", "tcp"]);
  assert.equal(budget.inUse, 1);
  assert.equal(slots.pending, 0);
  slots.abandonAll();
  assert.equal(budget.inUse, 0, "abandoning gives back only the sockets held");
});

test("probe costs: one table, request plus reply", () => {
  for (const k of ["icmp", "dns", "tcp", "http"] as const) assert.equal(PROBE_COST[k], PROBE_BYTES_OUT[k] + PROBE_BYTES_IN[k], k);
  assert.equal(PROBE_COST.icmp, 56, "an echo without payload, IPv4, both ways");
});

test("estimator: the probe timeout is RTOs plus room, clamped, in whole ms", () => {
  const e = new PathEstimator(10);
  assert.equal(e.timeoutMs(250, 3000, 3), 3000, "no sample yet: 1 s RTO, three of them");
  assert.equal(e.timeoutMs(250, 5000, 1, 900), 1900, "one RTO plus the silence tolerance");
  for (let i = 0; i < 20; i++) e.reply(100);
  assert.equal(e.timeoutMs(250, 3000, 2), 300, "two RTOs of a steady 100 ms path (held at 1.5 x its peak)");
  assert.equal(e.timeoutMs(250, 3000, 1, 0.4), 250, "the floor");
});

test("estimator: misses that came in bursts count as loss, not as independent chances a silence must outdo", () => {
  // 30 % loss either way; scattered, a silence must outlast 19 chance misses (1e-9 at 33 %); in
  // bursts (each miss beside others in one silence) the bursts are the gap tolerance's to judge.
  const scattered = new PathEstimator(100), bursty = new PathEstimator(100);
  for (let i = 0; i < 100; i++) {
    const lost = i % 10 < 3;
    if (lost) { scattered.miss(); bursty.miss(true); } else { scattered.reply(50); bursty.reply(50); }
  }
  assert.equal(scattered.lossPct, 30);
  assert.equal(bursty.lossPct, 30, "the loss the users see is the same");
  assert.equal(scattered.unlikelyRun(1e-9), 19);
  assert.equal(bursty.unlikelyRun(1e-9), 0, "no scattered loss: no run to outdo beyond confirmProbes");
  bursty.resetLoss();
  assert.equal(bursty.lossPct, 0);
});

test("quality: DNS is broken only after dnsFailRounds failures, and an issue lingers until the recovered line", () => {
  const cfg = defaultConfig();
  const est = new PathEstimator(cfg.health.lossWindow);
  const q = new Quality(cfg.health, est, true);
  for (let i = 1; i < cfg.health.dnsFailRounds; i++) assert.equal(q.dnsFailed(i), true, "not judged yet: recheck soon");
  assert.equal(q.issue(10), null);
  assert.equal(q.dnsFailed(10), false, "judged");
  assert.equal(q.issue(10), "dns");
  assert.equal(q.lingers(10), true);
  q.replied("dns", false, 20, 11);
  assert.equal(q.issue(11), null);
  assert.equal(q.lingers(12), false);
  assert.equal(q.lastIssueAt, 12, "the moment it was first seen gone");
  assert.equal(q.lingers(13), false);
  assert.equal(q.lastIssueAt, 12);
  // An echo sent in place of a DNS query proves nothing of DNS.
  const q2 = new Quality(cfg.health, est, true);
  q2.replied("dns", false, 20, 5, "icmp");
  assert.equal(q2.dnsOkAt, -Infinity);
  const noDns = new Quality(cfg.health, est, false);
  for (let i = 0; i < 20; i++) noDns.dnsFailed(i);
  assert.equal(noDns.dnsBroken(), false, "without resolvers to ask there is no DNS verdict");
});

test("quality: echo loss is the path's only if the dearer kinds lose about as much (an ISP that deprioritises ICMP)", () => {
  assert.equal(binomialAtMost(0, 10, 0.4), Math.pow(0.6, 10));
  assert.equal(binomialAtMost(2, 5, 0.5), 16 / 32);
  assert.ok(Math.abs(binomialAtMost(10, 10, 0.3) - 1) < 1e-12);
  const cfg = defaultConfig();
  const lossy = (dearerLose: (i: number) => boolean) => {
    const est = new PathEstimator(cfg.health.lossWindow);
    const q = new Quality(cfg.health, est, true, () => true);
    // Half the echoes lost: well above lossDegradedPct (40 %).
    for (let i = 0; i < 100; i++) i % 2 ? q.replied("icmp", true, 20, i) : q.missed("icmp", true, false, false, false);
    assert.equal(q.issue(100), null, "not judged before the dearer kinds are asked");
    assert.equal(q.lossInDoubt, true);
    for (let i = 0; i < 10; i++) dearerLose(i) ? q.missed("tcp", true, false, false, false) : q.replied("tcp", true, 30, 100 + i);
    assert.equal(q.lossInDoubt, false);
    return q.issue(200);
  };
  assert.equal(lossy(() => false), null, "ten TCP answers in a row: the loss is the echoes'");
  assert.equal(lossy((i) => i % 2 === 0), "loss", "TCP loses as much: the path's loss");
  // With nothing dearer to ask, the echoes' loss is judged as it is.
  const est = new PathEstimator(cfg.health.lossWindow);
  const alone = new Quality(cfg.health, est, false, () => false);
  for (let i = 0; i < 100; i++) i % 2 ? alone.replied("icmp", true, 20, i) : alone.missed("icmp", true, false, false, false);
  assert.equal(alone.lossInDoubt, false);
  assert.equal(alone.issue(100), "loss");
});

test("decision: every down says why, and a silent one carries its evidence", () => {
  const evidence: DownEvidence = { silentMs: 1200, toleranceMs: 900, overdue: 4, targets: 2, datedBy: "probe" };
  const facts = { now: 0, carrier: true, silent: true, evidence, okStreak: 0, issue: null, issueLingers: false, lastIssueAt: -Infinity };
  assert.deepEqual(nextLinkState("up", facts, { upSuccesses: 3, recoverMs: 1 }), { to: "down", transition: "no-reply", evidence });
  assert.deepEqual(nextLinkState("up", { ...facts, carrier: false }, { upSuccesses: 3, recoverMs: 1 }), { to: "down", transition: "carrier-lost" });
  const q = { lingers: () => false, issue: () => null, lastIssueAt: -Infinity };
  const d = new LinkDecision({ upSuccesses: 2, recoverMs: 1 }, "down", 0);
  d.okStreak = 1;
  assert.equal(d.next(5, true, null, q), null);
  d.okStreak = 2;
  assert.deepEqual(d.next(6, true, null, q), { to: "up", transition: "recovered" });
  assert.equal(d.since, 6);
  assert.equal(d.next(7, true, evidence, q)?.transition, "no-reply");
  assert.equal(d.okStreak, 0, "replies in a row do not count across a down");
});

test("detector phases: watching, suspect on the first overdue probe, down with evidence, confirming, up", () => {
  const { clock, path, steps, m } = monitorOn();
  const phases: string[] = [];
  let downAt = -1;
  const note = () => {
    if (phases[phases.length - 1] !== m.phase) phases.push(m.phase);
    if (m.state === "down" && downAt < 0) downAt = clock.now();
  };
  m.start();
  note();
  clock.runTo(30000, note);
  assert.equal(m.state, "up");
  assert.deepEqual(phases, ["watching"]);
  const cut = clock.now();
  path.up = false;
  clock.runTo(cut + 5000, note);
  assert.equal(m.state, "down");
  assert.deepEqual(phases, ["watching", "suspect", "down"]);
  const down = steps[steps.length - 1];
  assert.equal(down.transition, "no-reply");
  const e = down.evidence as DownEvidence;
  assert.ok(e, "the down carries its evidence");
  assert.equal(e.datedBy, "probe");
  assert.ok(e.silentMs >= e.toleranceMs && e.toleranceMs >= defaultConfig().health.silenceMinMs, JSON.stringify(e));
  assert.ok(e.overdue >= defaultConfig().probe.confirmProbes && e.targets >= 2, JSON.stringify(e));
  // The first probe after the cut goes out within a baseline interval; the silence from it lasts
  // the floor tolerance, and fast probes to several targets are overdue by then.
  const p = defaultConfig().probe;
  assert.ok(downAt - cut <= p.intervalMs + defaultConfig().health.silenceMinMs + p.fastIntervalMs, `down ${downAt - cut} ms after the cut`);
  path.up = true;
  clock.runTo(clock.now() + 5000, note);
  assert.equal(m.state, "up");
  assert.deepEqual(phases, ["watching", "suspect", "down", "confirming", "watching"]);
  assert.equal(steps[steps.length - 1].transition, "recovered");
});

test("detector phases: a gap shorter than the tolerance makes the link suspect, never down", () => {
  const { clock, path, steps, m } = monitorOn();
  const phases = new Set<string>();
  m.start();
  clock.runTo(30000);
  // The path fails just before the next baseline probe and comes back 600 ms later.
  const next = path.sent[path.sent.length - 1].at + defaultConfig().probe.intervalMs;
  clock.runTo(next - 1);
  path.up = false;
  clock.runTo(next + 600, () => phases.add(m.phase));
  path.up = true;
  clock.runTo(40000, () => phases.add(m.phase));
  assert.deepEqual([...phases].sort(), ["suspect", "watching"]);
  assert.deepEqual(steps.map((s) => s.transition), ["first-reply"]);
});

test("users waiting: suspect after about quietPackets of their spacing, even where a jittery path's RTO is far longer", () => {
  const cfg = defaultConfig();
  const clock = new HandClock();
  const path = new ScriptedPath(clock);
  // 40 packets a second each way while the far end answers; the users keep sending when it stops.
  const c: TrafficCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, lastRxAt: -1 };
  let answering = true;
  clock.every(25, () => {
    c.txPackets++;
    if (answering) { c.rxPackets++; c.lastRxAt = clock.now(); }
  });
  // RTTs swing between 40 and 700 ms: the RTO is held at 1.5 x the recent peak.
  clock.every(1000, () => { path.rttMs = path.rttMs === 40 ? 700 : 40; });
  const traffic: Traffic = { read: (_l, into) => { Object.assign(into, c); return true; } };
  const m = new LinkMonitor({
    link: "wan0", cfg, clock, prober: path, budget: new SocketBudget(cfg.probe.maxInFlight), traffic, carrier: true, onStep: () => {},
  });
  m.setRole("active");
  m.start();
  clock.runTo(60000);
  assert.equal(m.phase, "watching");
  assert.ok(m.rxPps > 30, `users' rate ${m.rxPps}`);
  // The tolerance is at least two RTOs: an RTO of 800 ms or more, far beyond the users' quiet time.
  assert.ok(m.toleranceMs() >= 1600, `tolerance ${m.toleranceMs()} ms`);
  // The users' far end goes quiet (the path itself still answers probes).
  answering = false;
  const quiet = (cfg.passive.quietPackets * 1000) / 40;
  clock.runTo(clock.now() + quiet + 2 * cfg.passive.pollMs);
  assert.equal(m.phase, "suspect", `suspect within ${quiet + 2 * cfg.passive.pollMs} ms of their last packet`);
});

test("a standby's DNS probe the platform sent as an ICMP echo proves the path, not DNS (ProbeResult.sentAs)", () => {
  const { clock, path, m } = monitorOn();
  path.asIcmp.add("dns");
  m.setRole("standby");
  m.start();
  clock.runTo(600000);
  assert.ok(path.sent.some((s) => s.target.kind === "dns"), "resolvers were asked");
  assert.equal(m.state, "up", "the echo's answer is an answer from that host over that link");
  assert.equal(m.dnsOkAt, -Infinity, "but no DNS success is recorded");
  // And an unanswered echo in a resolver's place is not a DNS failure either.
  const other = monitorOn();
  other.path.asIcmp.add("dns");
  other.m.start();
  other.clock.runTo(2000);
  other.path.up = false;
  const dnsSent = other.path.sent.filter((s) => s.target.kind === "dns").length;
  other.clock.runTo(2500);
  assert.ok(dnsSent > 0);
  assert.equal(other.m.dnsFailAt, -Infinity);
});

test("detector: each phase's handler on each event, every change named", async () => {
  const { Detector } = await import("../src/health/detector");
  const { Cadence } = await import("../src/health/cadence");
  const { GapTolerance } = await import("../src/health/gap-tolerance");
  const cfg = defaultConfig();
  type Setup = "watching" | "silent-watching" | "suspect" | "down" | "confirming";
  type Event = "watchDue" | "usersWaiting" | "reprobe" | "reply" | "arrived" | "expired" | "judge" | "leftDown" | "carrierLost" | "enteredDown";
  const cases: Array<[Setup, Event, string, string | null]> = [
    ["silent-watching", "watchDue", "suspect", "overdue"],
    ["watching", "usersWaiting", "suspect", "users-waiting"],
    ["watching", "reprobe", "suspect", "reprobe"],
    ["suspect", "reprobe", "suspect", null],
    ["suspect", "reply", "watching", "answered"],
    ["suspect", "arrived", "watching", "answered"],
    ["suspect", "expired", "suspect", null],
    ["suspect", "judge", "down", "silent"],
    ["suspect", "carrierLost", "watching", "carrier-lost"],
    ["watching", "enteredDown", "down", "carrier-lost"],
    ["down", "reply", "confirming", "reply"],
    ["down", "watchDue", "down", null],
    ["confirming", "expired", "down", "missed"],
    ["confirming", "reply", "confirming", null],
    ["confirming", "leftDown", "watching", "recovered"],
    ["confirming", "carrierLost", "down", "carrier-lost"],
  ];
  for (const [setup, event, want, why] of cases) {
    const clock = new HandClock();
    const path = new ScriptedPath(clock);
    path.up = false;
    const est = new PathEstimator(cfg.health.lossWindow);
    const targets = new TargetSet(cfg.targets, cfg.probe);
    const slots = new ProbeSlots(cfg.probe.maxInFlight, "wan0", path, new SocketBudget(3), () => {});
    const cadence = new Cadence(clock, { baseline() {}, fast() {}, watch() {}, poll() {} });
    const changes: string[] = [];
    let decided = 0, stalls = 0;
    const d = new Detector({
      cfg, est, gaps: new GapTolerance({ floorMs: 900, capMs: 2400, memoryMs: 1800000 }), slots, targets, cadence,
      now: () => clock.now(), startFast: () => {}, decide: () => { decided++; d.enteredDown(); }, stalled: () => { stalls++; },
      changed: (_from, _to, w) => changes.push(w),
    }, setup === "down" || setup === "confirming");
    // Three probes to three targets out since t=0, then the phase the case starts from.
    for (let i = 0; i < 3; i++) {
      const s = slots.free() as ProbeSlot;
      slots.send(s, targets.list[i], true, 0, 5000, false);
      if (setup !== "down" && setup !== "confirming") d.sent(0);
    }
    if (setup === "suspect") d.reprobe();
    if (setup === "confirming") d.replied(slots.all[0], 0);
    changes.length = 0;
    clock.t = 10000;
    const slot = slots.all[1];
    switch (event) {
      case "watchDue": d.watchDue(clock.t); break;
      case "usersWaiting": d.usersWaiting(5000); break;
      case "reprobe": d.reprobe(); break;
      case "reply": d.replied(slot, clock.t); break;
      case "arrived": d.arrived(clock.t, 9000); break;
      case "expired": d.expired(slot, targets.list[1]); break;
      case "judge": d.watchDue(clock.t); break;
      case "leftDown": d.leftDown(); break;
      case "carrierLost": d.carrierLost(); break;
      case "enteredDown": d.enteredDown(); break;
    }
    const label = `${setup} + ${event}`;
    assert.equal(d.phase, want, label);
    assert.deepEqual(changes, why ? [why] : [], label);
    if (event === "judge") assert.equal(decided, 1, `${label}: silent for 10 s with 3 probes to 3 targets overdue`);
    if (setup === "suspect" && (event === "reply" || event === "arrived")) assert.equal(stalls, 1, `${label}: a stall the link came back from`);
  }
});
