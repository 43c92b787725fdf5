// The pure pieces of the firmware, by table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PathEstimator } from "../src/health/estimator";
import { nextLinkState, type LinkFacts, type LinkState } from "../src/health/link-state";
import { SocketBudget } from "../src/health/socket-budget";
import { decide, RETURNING_WAIT_MS, type Candidate, type PolicyRules, type QualityBar } from "../src/failover/policy";
import { FlapDamper, decayed, msUntil } from "../src/failover/dampening";
import { Rung, rungAfter } from "../src/watchdog/escalation";
import { countBoot, markStable, KEY_BOOTS, KEY_GOOD_CONFIG } from "../src/watchdog/boot-guard";

const KEY_CONFIG = "cfg0";
import { loadBootConfig } from "../src/config/boot-config";
import { defaultConfig, parseConfig } from "../src/config/config";
import { fullJitterDelay } from "../src/telemetry/backoff";
import { SimStore } from "../sim/world/sim-store";

test("estimator: RTT, jitter, loss window and timeout", () => {
  const e = new PathEstimator(10);
  assert.equal(e.timeoutMs(100, 2000), 1000, "initial timeout before any sample");
  for (let i = 0; i < 20; i++) e.reply(i % 2 === 0 ? 10 : 14);
  assert.ok(Math.abs(e.srttMs - 12) < 1.5, `srtt ${e.srttMs}`);
  assert.ok(e.jitterMs > 2 && e.jitterMs <= 4, `jitter ${e.jitterMs}`);
  assert.equal(e.timeoutMs(100, 2000), 100, "a clean path sits at the floor");
  assert.equal(e.lossPct, 0);
  for (let i = 0; i < 3; i++) e.miss();
  assert.equal(e.lossPct, 30, "3 of the last 10");
  for (let i = 0; i < 10; i++) e.reply(12);
  assert.equal(e.lossPct, 0, "misses age out of the window");
  e.reply(900);
  assert.ok(e.timeoutMs(100, 2000) >= 1350, "a spike lifts the timeout to 1.5x the peak");
  assert.equal(e.timeoutMs(100, 1000), 1000, "clamped to max");
  e.miss();
  e.resetLoss();
  assert.equal(e.lossPct, 0);
});

const facts = (f: Partial<LinkFacts>): LinkFacts => ({
  now: 100000, carrier: true, silent: false, okStreak: 0, issue: null, issueLingers: false, lastIssueAt: -Infinity, ...f,
});
const limits = { upSuccesses: 5, recoverMs: 10000 };

test("link state machine: every named transition", () => {
  const cases: Array<[LinkState, Partial<LinkFacts>, LinkState | null, string | null]> = [
    ["unknown", { okStreak: 1 }, "up", "first-reply"],
    ["unknown", {}, null, null],
    ["unknown", { silent: true }, "down", "no-reply"],
    ["up", { carrier: false }, "down", "carrier-lost"],
    ["up", { silent: true }, "down", "no-reply"],
    ["up", { issue: "loss", issueLingers: true }, "degraded", "quality-loss"],
    ["up", { issue: "dns", issueLingers: true }, "degraded", "quality-dns"],
    ["up", { issue: "rtt", issueLingers: true }, "degraded", "quality-rtt"],
    ["up", { issueLingers: true, okStreak: 9 }, null, null],
    ["degraded", { carrier: false }, "down", "carrier-lost"],
    ["degraded", { issueLingers: true }, null, null],
    ["degraded", { lastIssueAt: 95000 }, null, null],
    ["degraded", { lastIssueAt: 90000 }, "up", "quality-restored"],
    ["down", { okStreak: 4 }, null, null],
    ["down", { okStreak: 5 }, "up", "recovered"],
    ["down", { okStreak: 5, issue: "dns" }, "degraded", "recovered-degraded"],
    ["down", { okStreak: 9, carrier: false }, null, null],
  ];
  for (const [from, f, to, why] of cases) {
    const s = nextLinkState(from, facts(f), limits);
    assert.deepEqual(s ? [s.to, s.transition] : [null, null], [to, why], `${from} ${JSON.stringify(f)}`);
  }
});

test("socket budget: never more than its size, urgent first", () => {
  const b = new SocketBudget(2);
  const order: string[] = [];
  b.request(false, () => order.push("a"));
  b.request(false, () => order.push("b"));
  b.request(false, () => order.push("routine"));
  b.request(true, () => order.push("urgent"));
  assert.deepEqual(order, ["a", "b"]);
  assert.equal(b.inUse, 2);
  b.release();
  assert.deepEqual(order, ["a", "b", "urgent"]);
  b.release();
  b.release();
  b.release();
  assert.deepEqual(order, ["a", "b", "urgent", "routine"]);
  assert.equal(b.inUse, 0);
});

const rules: PolicyRules = { onDegraded: "failover", failbackHoldMs: 30000, minDwellMs: 5000, bootWaitMs: 5000 };
const bar: QualityBar = { lossRecoveredPct: 20, rttRecoveredMs: 1000 };
const c = (name: string, priority: number, state: Candidate["state"], extra: Partial<Candidate> = {}): Candidate =>
  ({ name, priority, state, enabled: true, transition: "x", since: 0, srttMs: 10, lossPct: 0, lossSamples: 50, dnsOkAt: 1, dnsFailAt: 0,
    suppressed: false, returning: false, ...extra });

test("policy: failover, degraded, failback, dwell, dampening", () => {
  const now = 100000;
  // Boot: the preferred tier is given bootWaitMs to answer, then the best usable is taken.
  assert.equal(decide(now, null, -Infinity, [c("wan0", 1, "unknown"), c("lte0", 2, "up")], rules, bar, now - 4999), null);
  assert.equal(decide(now, null, -Infinity, [c("wan0", 1, "unknown"), c("lte0", 2, "up")], rules, bar, now - 5000)?.to, "lte0");
  assert.equal(decide(now, null, -Infinity, [c("wan0", 1, "down"), c("lte0", 2, "up")], rules, bar, now)?.to, "lte0", "no wait for a dead link");
  assert.equal(decide(now, null, -Infinity, [c("wan0", 1, "up"), c("lte0", 2, "up")], rules, bar, now)?.to, "wan0");
  // Active down: leave at once, dwell or not, to the best tier.
  const d = decide(now, "wan0", now - 10, [c("wan0", 1, "down", { transition: "no-reply" }), c("lte0", 2, "up"), c("wlan0", 3, "up")], rules, bar);
  assert.deepEqual(d, { to: "lte0", kind: "failover", reason: "no-reply" });
  // Active down and the next tier dampened: still prefer an undampened link.
  assert.equal(decide(now, "wan0", 0, [c("wan0", 1, "down"), c("lte0", 2, "up", { suppressed: true }), c("wlan0", 3, "up")], rules, bar)?.to, "wlan0");
  // ... but a dampened link beats none.
  assert.equal(decide(now, "wan0", 0, [c("wan0", 1, "down"), c("lte0", 2, "up", { suppressed: true })], rules, bar)?.to, "lte0");
  // Nothing usable: stay.
  assert.equal(decide(now, "wan0", 0, [c("wan0", 1, "down"), c("lte0", 2, "down")], rules, bar), null);
  // Every uplink coming back at once: the active link answers again, the backup was confirmed a
  // moment first; wait up to RETURNING_WAIT_MS for the active link, then take the backup.
  const back = (since: number, returning: boolean) => [c("wan0", 1, "down", { transition: "no-reply", returning }), c("lte0", 2, "up", { since })];
  assert.equal(decide(now, "wan0", 0, back(now - RETURNING_WAIT_MS + 1, true), rules, bar), null, "the active link is being confirmed");
  assert.equal(decide(now, "wan0", 0, back(now - RETURNING_WAIT_MS, true), rules, bar)?.to, "lte0", "waited long enough");
  assert.equal(decide(now, "wan0", 0, back(now, false), rules, bar)?.to, "lte0", "not answering: no wait");
  assert.equal(decide(now, "lte0", 0, [c("lte0", 2, "down", { returning: true }), c("wan0", 1, "up", { since: now })], rules, bar)?.to, "wan0",
    "never wait for a worse tier");
  // Degraded active: to an up link, after the dwell; with "stay", not.
  const deg = [c("wan0", 1, "degraded", { transition: "quality-dns", dnsFailAt: 2 }), c("lte0", 2, "up")];
  assert.equal(decide(now, "wan0", now - 1000, deg, rules, bar), null, "dwell");
  assert.deepEqual(decide(now, "wan0", 0, deg, rules, bar), { to: "lte0", kind: "failover", reason: "quality-dns" });
  assert.equal(decide(now, "wan0", 0, deg, { ...rules, onDegraded: "stay" }, bar), null);
  // Like with like: no move for a DNS fault the backup has not shown free of since it began,
  // nor for loss the backup shares.
  const dnsSince = [c("wan0", 1, "degraded", { transition: "quality-dns", since: 5000, dnsFailAt: 7000 }), c("lte0", 2, "up", { dnsOkAt: 4000 })];
  assert.equal(decide(now, "wan0", 0, dnsSince, rules, bar), null, "backup's DNS not shown since the fault began");
  dnsSince[1].dnsOkAt = 6000;
  assert.equal(decide(now, "wan0", 0, dnsSince, rules, bar)?.to, "lte0");
  dnsSince[1].dnsOkAt = 8000;
  assert.equal(decide(now, "wan0", 0, dnsSince, rules, bar), null, "the active has not failed since: the fault may be over");
  const lossy = [c("wan0", 1, "degraded", { transition: "quality-loss" }), c("lte0", 2, "up", { lossPct: 30 })];
  assert.equal(decide(now, "wan0", 0, lossy, rules, bar), null);
  // Failback only after the hold-down and when not dampened.
  assert.equal(decide(now, "lte0", 0, [c("wan0", 1, "up", { since: now - 29999 }), c("lte0", 2, "up")], rules, bar), null);
  assert.deepEqual(decide(now, "lte0", 0, [c("wan0", 1, "up", { since: now - 30000 }), c("lte0", 2, "up")], rules, bar),
    { to: "wan0", kind: "failback", reason: "preferred-stable" });
  assert.equal(decide(now, "lte0", 0, [c("wan0", 1, "up", { since: 0, suppressed: true }), c("lte0", 2, "up")], rules, bar), null);
  // A disabled link is left and never chosen.
  assert.equal(decide(now, "wan0", 0, [c("wan0", 1, "up", { enabled: false }), c("lte0", 2, "up")], rules, bar)?.reason, "disabled");
  // Same tier: no churn for a slightly better RTT.
  assert.equal(decide(now, "a", 0, [c("a", 1, "up", { srttMs: 20 }), c("b", 1, "up", { since: 0, srttMs: 5 })], rules, bar), null);
});

test("dampening: penalty adds, decays by half-life, suppresses and reuses with hysteresis", () => {
  const p = { penalty: 1000, halfLifeMs: 60000, suppress: 2000, reuse: 750, max: 4000 };
  assert.equal(decayed(1000, 60000, 60000), 500);
  assert.equal(msUntil(3000, 750, 60000), 120000);
  const d = new FlapDamper(p);
  assert.equal(d.flap(0), false);
  assert.equal(d.flap(1000), false);
  assert.equal(d.flap(2000), true, "third quick flap suppresses");
  assert.ok(d.suppressed(2000));
  for (let t = 3000; t < 20000; t += 1000) d.flap(t);
  assert.ok(d.penalty(20000) <= 4000, "capped at max");
  const reuseAt = d.reuseAt(20000);
  assert.ok(d.suppressed(reuseAt - 1000));
  assert.ok(!d.suppressed(reuseAt + 1));
  assert.ok(!d.suppressed(reuseAt + 100000), "stays unsuppressed");
});

test("escalation ladder rungs", () => {
  const t = { reprobeAfterMs: 30000, resetAfterMs: 120000, rebootAfterMs: 600000 };
  assert.equal(rungAfter(0, t), Rung.None);
  assert.equal(rungAfter(30000, t), Rung.Reprobe);
  assert.equal(rungAfter(119999, t), Rung.Reprobe);
  assert.equal(rungAfter(120000, t), Rung.ResetLink);
  assert.equal(rungAfter(600000, t), Rung.Reboot);
});

test("boot guard: counts boots, safe mode after a loop, stable clears it and promotes the config", () => {
  const s = new SimStore();
  assert.deepEqual(countBoot(s, 3), { boots: 1, safeMode: false });
  assert.deepEqual(countBoot(s, 3), { boots: 2, safeMode: false });
  assert.deepEqual(countBoot(s, 3), { boots: 3, safeMode: true });
  markStable(s, "{\"version\":4}");
  assert.equal(s.get(KEY_BOOTS), "0");
  assert.equal(s.get(KEY_GOOD_CONFIG), "{\"version\":4}");
  s.set(KEY_BOOTS, "garbage");
  assert.deepEqual(countBoot(s, 3), { boots: 1, safeMode: false }, "a corrupt counter restarts at 1");
});

test("boot config: stored, known-good in safe mode, defaults when both are broken, rejection reported", () => {
  const s = new SimStore();
  assert.equal(loadBootConfig(s, false).source, "defaults");
  s.set(KEY_CONFIG, "{\"version\":9}");
  s.set(KEY_GOOD_CONFIG, "{\"version\":4}");
  assert.equal(loadBootConfig(s, false).cfg.version, 9);
  const safe = loadBootConfig(s, true);
  assert.deepEqual([safe.source, safe.cfg.version], ["known-good", 4]);
  s.set(KEY_CONFIG, "{\"version\":-1}");
  const broken = loadBootConfig(s, false);
  assert.deepEqual([broken.source, broken.cfg.version], ["known-good", 4]);
  assert.match(broken.rejected ?? "", /\/version must be >= 0/);
});

test("config: {} fills every default; bad values are named by path; input is not mutated", () => {
  const d = defaultConfig();
  assert.equal(d.probe.intervalMs, 1100);
  assert.equal(d.failover.dampening.halfLifeMs, 900000, "RFC 2439's 15-minute half-life");
  assert.ok(d.targets.length >= 3);
  const input = { probe: { intervalMs: 2000 } };
  const p = parseConfig(input);
  assert.ok(p.ok && p.value.probe.intervalMs === 2000 && p.value.probe.standbyIntervalMs === 60000);
  assert.deepEqual(input, { probe: { intervalMs: 2000 } });
  const cases: Array<[unknown, RegExp]> = [
    [{ probe: { intervalMs: 500 } }, /\/probe\/intervalMs must be >= 1000/],
    [{ targets: [{ kind: "icmp" }] }, /\/targets\/0 must have required property 'host'/],
    [{ targets: [{ kind: "smoke", host: "1.1.1.1" }] }, /\/targets\/0\/kind must be equal to one of the allowed values/],
    [{ failover: { onDegraded: "panic" } }, /\/failover\/onDegraded/],
    [{ nonsense: 1 }, /must NOT have additional properties 'nonsense'/],
    [{ probe: { minTimeoutMs: 500, maxTimeoutMs: 200 } }, /maxTimeoutMs must be >= minTimeoutMs/],
    [{ failover: { dampening: { reuse: 3000 } } }, /reuse < suppress/],
    ["{not json", /not JSON/],
  ];
  for (const [bad, msg] of cases) {
    const r = parseConfig(bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) assert.match(r.error, msg);
  }
});

test("reconnect backoff: exponential ceiling with full jitter", () => {
  assert.equal(fullJitterDelay(0, 1000, 60000, 0.5), 500);
  assert.equal(fullJitterDelay(3, 1000, 60000, 0.5), 4000);
  assert.equal(fullJitterDelay(20, 1000, 60000, 0.999), 59940);
  assert.equal(fullJitterDelay(1000, 1000, 60000, 0), 0);
});
