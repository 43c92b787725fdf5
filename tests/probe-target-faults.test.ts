// Probe targets that die are the targets' problem, not the link's: an ISP that filters ICMP (both
// echo targets silent while TCP and DNS answer) must not move the router, and a link whose only
// fault is its targets stays in use. A real outage behind the filter is still found. A resolver
// whose host answers nothing at all is a dead target, not a DNS fault (DNS faults: the dns-fail
// scenarios, still left).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario, type Scenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { run, ofType, example } from "../testing/scenario-runs";

const LINKS = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2, loss: 0 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 10, loss: 0 },
];
const H = 3600000;

function scenario(name: string, seed: number, durationMs: number, faults: object[], busy: boolean): Scenario {
  return parseScenario(JSON.stringify({ name, seed, durationMs, links: LINKS, faults, ...(busy ? { traffic: { profile: "busy" } } : {}) }), name);
}

const ICMP_FILTERED = { atMs: 60000, link: "wan0", kind: "icmp-limit", rate: 1, durationMs: H / 2 };

for (const busy of [false, true]) {
  const users = busy ? "with users' traffic" : "idle";
  test(`ICMP filtered on the primary for 30 min (${users}): no switch, the link never leaves up`, () => {
    for (let seed = 1; seed <= 3; seed++) {
      const sc = scenario(`icmp-filtered-${seed}`, seed, H, [ICMP_FILTERED], busy);
      const r = seed === 1 ? run(sc).result : runScenario(sc).result;
      const changes = ofType(r.events, "link-state").filter((e) => e.link === "wan0" && e.atMs > 1000);
      assert.deepEqual(changes.map((e) => `${Math.round(e.atMs / 1000)} s ${e.to} ${e.reason}`), [], `seed ${seed}`);
      assert.equal(r.failovers, 0, `seed ${seed}: failovers`);
    }
  });

  test(`four of the five probe targets dead over the primary for an hour, the TCP one left (${users}): no switch`, () => {
    const dead = ["1.1.1.1", "8.8.8.8", "1.0.0.1", "8.8.4.4"].map((target) => ({ atMs: 60000, link: "wan0", kind: "target-down", target, durationMs: H }));
    for (let seed = 1; seed <= 3; seed++) {
      const sc = scenario(`one-target-left-${seed}`, seed, H + 120000, dead, busy);
      const r = seed === 1 ? run(sc).result : runScenario(sc).result;
      const changes = ofType(r.events, "link-state").filter((e) => e.link === "wan0" && e.atMs > 1000);
      assert.deepEqual(changes.map((e) => `${Math.round(e.atMs / 1000)} s ${e.to} ${e.reason}`), [], `seed ${seed}`);
    }
  });

  test(`ICMP deprioritised on the primary for an hour, 30 % of echoes dropped, 1 reply/s, 150 ms late (${users}): no switch, while TCP and DNS answer`, () => {
    // The echoes' loss crosses lossDegradedPct; the dearer kinds, asked every dnsRecheckMs, answer
    // ten in a row, which 40 % path loss gives 0.6 % of the time: the loss is the echoes' own.
    const limited = { atMs: 60000, link: "wan0", kind: "icmp-limit", rate: 0.3, perSecond: 1, extraMs: 150, durationMs: H };
    for (let seed = 1; seed <= 3; seed++) {
      const sc = scenario(`icmp-deprioritised-${seed}`, seed, H + 120000, [limited], busy);
      const r = seed === 1 ? run(sc).result : runScenario(sc).result;
      const changes = ofType(r.events, "link-state").filter((e) => e.link === "wan0" && e.atMs > 1000);
      assert.deepEqual(changes.map((e) => `${Math.round(e.atMs / 1000)} s ${e.to} ${e.reason}`), [], `seed ${seed}`);
      assert.equal(r.failovers, 0, `seed ${seed}: failovers`);
    }
  });

  test(`a blackhole behind an ICMP filter is still found within 3 s (${users})`, () => {
    for (let seed = 1; seed <= 5; seed++) {
      const at = 600000 + ((seed * 7919) % 20000);
      const sc = scenario(`icmp-filtered-blackhole-${seed}`, seed, 900000, [ICMP_FILTERED, { atMs: at, link: "wan0", kind: "blackhole" }], busy);
      const r = runScenario(sc).result;
      const fo = ofType(r.events, "failover");
      assert.equal(fo.length, 1, `seed ${seed}: one failover`);
      assert.ok(fo[0].atMs >= at && fo[0].atMs - at <= 3000, `seed ${seed}: left ${Math.round(fo[0].atMs - at)} ms after the blackhole`);
    }
  });
}

test("DNS failing on the primary with users' traffic: degraded and left as when idle (its resolvers asked again within dnsRecheckMs, not a busy link's 20 s)", () => {
  const sc = example("dns-fail", { traffic: { profile: "busy" } });
  const r = run(sc).result;
  const fo = ofType(r.events, "failover");
  assert.equal(fo.length, 1, "one failover");
  assert.equal(fo[0].reason, "quality-dns");
  const p = sc.config.probe;
  // A busy link's service rounds ride on its 20 s baseline: the first query may wait that long.
  const found = 30000 + p.busyIntervalMs + p.serviceIntervalMs / 3 + 6 * p.dnsRecheckMs + 15000;
  assert.ok(fo[0].atMs < found, `failover at ${Math.round(fo[0].atMs)} (bound ${found})`);
  assert.equal(ofType(r.events, "failback").length, 1, "back once DNS works");
});
