// Config and commands from the fleet: validated by the generated validators, answered on
// .../reply, and rejected without touching the running state. Runs on both hosts (helpers.run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run, ofType } from "../testing/scenario-runs";
import type { FleetMessage } from "../sim/scenario/load-scenario";
import { commandAt } from "../testing/dated-commands";

const two = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15 },
];

function withMessages(messages: FleetMessage[], extra: Record<string, unknown> = {}) {
  return run(example("primary-blackhole", { links: two, durationMs: 120000, faults: [], messages, ...extra })).result;
}

test("a valid config/set is applied in place: reply ok, new version reported, traffic stays put", () => {
  const r = withMessages([{ atMs: 20000, topic: "config/set", payload: { id: "c1", config: { version: 2, probe: { standbyIntervalMs: 20000 } } } }]);
  assert.deepEqual(r.replies.map((x) => x.reply), [{ cmd: "config/set", ok: true, id: "c1" }]);
  assert.equal(ofType(r.events, "config-applied")[0].version, 2);
  assert.equal(r.lastHeartbeat?.configVersion, 2);
  assert.equal(r.failovers, 0);
  assert.equal(ofType(r.events, "initial").length, 1, "no second initial switch: the plane was rebuilt with what it knew");
  assert.equal(ofType(r.events, "config-rolled-back").length, 0, "healthy after the grace period: kept");
});

const badConfigs: Array<[string, FleetMessage, RegExp]> = [
  ["not JSON", { atMs: 20000, topic: "config/set", raw: "{version: 2" }, /payload is not JSON/],
  ["no config", { atMs: 20000, topic: "config/set", payload: { id: "c2" } }, /\/ must have required property 'config'/],
  ["a value out of range", { atMs: 20000, topic: "config/set", payload: { config: { probe: { intervalMs: 50 } } } }, /\/config\/probe\/intervalMs must be >= 1000/],
  ["a wrong type", { atMs: 20000, topic: "config/set", payload: { config: { failover: { minDwellMs: "soon" } } } }, /\/config\/failover\/minDwellMs must be integer/],
  ["an unknown field", { atMs: 20000, topic: "config/set", payload: { config: { turbo: true } } }, /\/config\/turbo is not a field any request has/],
  ["a cross-field rule broken", { atMs: 20000, topic: "config/set", payload: { config: { probe: { minTimeoutMs: 900, maxTimeoutMs: 100 } } } }, /maxTimeoutMs must be >= minTimeoutMs/],
  ["a link the router does not have", { atMs: 20000, topic: "config/set", payload: { config: { links: { eth9: { priority: 1 } } } } }, /\/config\/links\/eth9 is not a field any request has/],
];

for (const [what, msg, error] of badConfigs) {
  test(`config/set with ${what} is rejected with a clear reply; the running config is kept`, () => {
    const r = withMessages([msg]);
    assert.equal(r.replies.length, 1);
    const reply = r.replies[0].reply;
    assert.equal(reply.ok, false);
    assert.equal(reply.cmd, "config/set");
    assert.match(String(reply.error), error);
    assert.equal(ofType(r.events, "config-rejected").length, 1);
    assert.equal(ofType(r.events, "config-applied").length, 0);
    assert.equal(r.lastHeartbeat?.configVersion, 1);
    assert.equal(r.lastHeartbeat?.rejected, 1, "counted");
    assert.equal(r.failovers, 0);
  });
}

test("cmd/failover pins traffic to a link for holdMs, then the policy takes over again", () => {
  const r = withMessages([commandAt(20000, "failover", { id: "f1", link: "lte0", holdMs: 40000 })]);
  assert.deepEqual(r.replies[0].reply, { cmd: "cmd/failover", ok: true, id: "f1" });
  const fo = ofType(r.events, "failover");
  assert.equal(fo.length, 1);
  assert.deepEqual([fo[0].to, fo[0].reason], ["lte0", "manual"]);
  const fb = ofType(r.events, "failback");
  assert.equal(fb.length, 1);
  assert.ok(fb[0].atMs >= 60000, `back to wan0 after the pin: ${fb[0].atMs}`);
  assert.equal(r.falseFailovers, 1, "scored as a failover with nothing wrong: it was asked for");
});

const badCommands: Array<[string, FleetMessage, RegExp]> = [
  ["failover without a link", commandAt(20000, "failover", {}), /must have required property 'link'/],
  ["failover to a link that does not exist", commandAt(20000, "failover", { link: "eth9" }), /no uplink named 'eth9'/],
  ["failover with a wrong type", commandAt(20000, "failover", { link: "lte0", holdMs: "long" }), /\/holdMs must be integer/],
  ["failover that is not JSON", { atMs: 20000, topic: "cmd/failover", raw: "lte0" }, /payload is not JSON/],
  ["reboot with a negative delay", commandAt(20000, "reboot", { delayMs: -5 }), /\/delayMs must be >= 0/],
  ["reboot with an unknown field", commandAt(20000, "reboot", { force: true }), /\/force is not a field any request has/],
  ["probe-now with a bad link name", commandAt(20000, "probe-now", { link: "WAN 0" }), /\/link must match pattern/],
  ["an unknown command", { atMs: 20000, topic: "cmd/selfdestruct", payload: {} }, /unknown command 'selfdestruct'/],
];

for (const [what, msg, error] of badCommands) {
  test(`cmd: ${what} is rejected with a clear reply and changes nothing`, () => {
    const r = withMessages([msg]);
    assert.equal(r.replies.length, 1);
    assert.equal(r.replies[0].reply.ok, false);
    assert.match(String(r.replies[0].reply.error), error);
    assert.equal(ofType(r.events, "cmd-rejected").length, 1);
    assert.equal(r.failovers, 0);
    assert.equal(r.reboots.length, 0);
    assert.equal(r.finalActive, "wan0");
    assert.equal(r.lastHeartbeat?.rejected, 1);
  });
}

test("cmd/reboot reboots after its delay; cmd/probe-now answers ok", () => {
  const r = withMessages([
    commandAt(20000, "probe-now", { id: "p1" }),
    commandAt(30000, "reboot", { id: "r1", reason: "maintenance", delayMs: 500 }),
  ]);
  assert.deepEqual(r.replies.map((x) => [x.reply.id, x.reply.ok]), [["p1", true], ["r1", true]]);
  assert.equal(r.reboots.length, 1);
  assert.equal(r.reboots[0].reason, "maintenance");
  assert.ok(r.reboots[0].atMs >= 30500 && r.reboots[0].atMs < 31000);
  assert.equal(ofType(r.events, "boot").length, 2);
});

test("a config that cuts the router off is rolled back after the grace period", () => {
  const r = withMessages([{ atMs: 20000, topic: "config/set", payload: {
    config: { version: 9, targets: [{ kind: "icmp", host: "192.0.2.1" }], telemetry: { configGraceMs: 30000 } } } }],
  // The boot config probes the unreachable host too (a target-down must name a probe target).
  { durationMs: 150000, config: { targets: [{ kind: "icmp", host: "1.1.1.1" }, { kind: "tcp", host: "9.9.9.9", port: 443 },
    { kind: "icmp", host: "8.8.4.4" }, { kind: "icmp", host: "192.0.2.1" }] },
  faults: [{ atMs: 1000, link: "wan0", kind: "target-down", target: "192.0.2.1" },
    { atMs: 1000, link: "lte0", kind: "target-down", target: "192.0.2.1" }] });
  assert.equal(r.replies[0].reply.ok, true, "accepted: it validates");
  const rb = ofType(r.events, "config-rolled-back");
  assert.equal(rb.length, 1);
  assert.deepEqual([rb[0].version, rb[0].restored], [9, 1]);
  assert.ok(rb[0].atMs >= 50000 && rb[0].atMs < 51000, `at the end of the grace period: ${rb[0].atMs}`);
  assert.equal(r.lastHeartbeat?.configVersion, 1);
  assert.equal(r.finalActive, "wan0", "working again on the old config");
});
