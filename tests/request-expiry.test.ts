// Issue 20, finding 9: commands had no default expiry and the replay window was 16 ids in RAM.
// A dated request (epoch + expiresAtMs, as the console sends them) now lives at most 10 minutes,
// and its answer is remembered until it expires: a 17th live request is told to retry instead of
// pushing the oldest answer out, so a redelivery is never applied twice. And every command must be
// dated: an undated one queued at the broker would otherwise run whenever the router came back
// (same boot, persistent session), hours later. Node and XS (helpers.run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run, ofType } from "../testing/scenario-runs";
import type { FleetMessage } from "../sim/scenario/load-scenario";
import { MAX_REQUEST_LIFE_MS } from "../src/config/limits";
import { commandAt } from "../testing/dated-commands";

const two = [
  { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2 },
  { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 15 },
];

function scenario(messages: FleetMessage[], durationMs = 60000) {
  return example("primary-blackhole", { links: two, durationMs, faults: [], messages });
}

test("a dated request lives at most 10 minutes: one dated further ahead is refused, one within runs", () => {
  const r = run(scenario([
    { atMs: 20000, topic: "cmd/probe-now", payload: { id: "far", epoch: 1, expiresAtMs: 20000 + MAX_REQUEST_LIFE_MS + 1000 } },
    { atMs: 21000, topic: "cmd/probe-now", payload: { id: "near", epoch: 1, expiresAtMs: 21000 + MAX_REQUEST_LIFE_MS } },
  ]));
  const by = Object.fromEntries(r.result.replies.map((x) => [String(x.reply.id), x.reply]));
  assert.equal(by.far.ok, false);
  assert.match(String(by.far.error), /expiresAtMs 621000 is 60\d{4} ms after this router's uptime \(200\d\d ms\): a request lives at most 600000 ms/);
  assert.equal(by.near.ok, true);
});

test("the replay window holds every live dated request: a 17th is told to retry, a redelivered one is answered, not applied again", () => {
  const until = 200000;
  const messages: FleetMessage[] = Array.from({ length: 16 }, (_, i) => ({ atMs: 20000 + i * 100, topic: "cmd/failover",
    payload: { id: `f${i}`, epoch: 1, expiresAtMs: until, link: "lte0", holdMs: 600000 } }));
  messages.push(
    { atMs: 22000, topic: "cmd/failover", payload: { id: "f16", epoch: 1, expiresAtMs: until, link: "lte0", holdMs: 600000 } },
    // A redelivery of the first (a session rebuilt after a failover resends what was not acknowledged).
    { atMs: 22500, topic: "cmd/failover", payload: { id: "f0", epoch: 1, expiresAtMs: until, link: "lte0", holdMs: 600000 } },
    // Once the first ones have expired there is room again.
    { atMs: until + 1000, topic: "cmd/failover", payload: { id: "f17", epoch: 1, expiresAtMs: until + 60000, link: "lte0", holdMs: 600000 } },
    { atMs: until + 2000, topic: "cmd/failover", payload: { id: "f0", epoch: 1, expiresAtMs: until, link: "lte0", holdMs: 600000 } },
  );
  const r = run(scenario(messages, until + 10000));
  const replies = r.result.replies.map((x) => x.reply);
  assert.equal(replies.length, 20);
  assert.ok(replies.slice(0, 16).every((x) => x.ok === true), JSON.stringify(replies.slice(0, 16)));
  const busy = replies[16];
  assert.equal(busy.id, "f16");
  assert.equal(busy.ok, false);
  assert.match(String(busy.error), /busy: 16 requests still within their expiry are remembered; retry in \d+ s/);
  assert.ok(Number(busy.retryInMs) > 0 && Number(busy.retryInMs) <= until - 22000 + 1, `retryInMs ${busy.retryInMs}`);
  assert.deepEqual(replies[17], { cmd: "cmd/failover", ok: true, id: "f0" }, "the redelivery gets the first answer");
  assert.deepEqual(replies[18], { cmd: "cmd/failover", ok: true, id: "f17" });
  assert.match(String(replies[19].error), /expired at uptime 200000 ms/, "a redelivery after its expiry is refused, not run");
  assert.equal(ofType(r.result.events, "pinned").length, 17, "16 pins, then f17: none applied twice");
});

test("commands expire by default: an undated cmd/reboot or cmd/failover is refused, saying what to add, and counted; a dated one runs; an undated config/set applies", () => {
  const r = run(scenario([
    { atMs: 20000, topic: "cmd/reboot", payload: { id: "r-undated", delayMs: 0 } },
    { atMs: 21000, topic: "cmd/failover", payload: { id: "f-undated", link: "lte0", holdMs: 600000 } },
    { atMs: 22000, topic: "cmd/failover", payload: { id: "f-no-expiry", epoch: 1, link: "lte0", holdMs: 600000 } },
    // A config is desired state: taken whenever it arrives.
    { atMs: 23000, topic: "config/set", payload: { id: "c-undated", config: { version: 2 } } },
    commandAt(30000, "failover", { id: "f-dated", link: "lte0", holdMs: 10000 }),
    commandAt(50000, "reboot", { id: "r-dated", reason: "dated", delayMs: 1000 }),
  ], 70000));
  const by = Object.fromEntries(r.result.replies.map((x) => [String(x.reply.id), x.reply]));
  const dated = (what: string, uptime: string) => new RegExp(`^a command must be dated: add ${what}expiresAtMs \\(uptime now: ${uptime}\\d\\d ms, at most 600000 ms later\\)$`);
  assert.equal(by["r-undated"]?.ok, false, JSON.stringify(r.result.replies));
  assert.match(String(by["r-undated"]?.error), dated("epoch \\(this boot: 1\\) and ", "200"));
  assert.equal(by["f-undated"]?.ok, false, JSON.stringify(r.result.replies));
  assert.match(String(by["f-undated"]?.error), dated("epoch \\(this boot: 1\\) and ", "210"));
  assert.equal(by["f-no-expiry"]?.ok, false, JSON.stringify(r.result.replies));
  assert.match(String(by["f-no-expiry"]?.error), dated("", "220"), "only what is missing is asked for");
  assert.equal(ofType(r.result.events, "cmd-rejected").length, 3);

  assert.deepEqual(by["c-undated"], { cmd: "config/set", ok: true, id: "c-undated" });
  assert.equal(ofType(r.result.events, "config-applied")[0]?.version, 2);

  // Nothing the undated commands asked for happened: the only pin and the only reboot are the dated ones.
  assert.deepEqual(by["f-dated"], { cmd: "cmd/failover", ok: true, id: "f-dated" });
  const pins = ofType(r.result.events, "pinned");
  assert.equal(pins.length, 1, JSON.stringify(pins));
  assert.ok(pins[0].atMs >= 30000, `pinned at ${pins[0].atMs}`);
  const manual = ofType(r.result.events, "failover").filter((e) => e.reason === "manual");
  assert.deepEqual(manual.map((e) => e.atMs >= 30000), [true]);
  assert.deepEqual(by["r-dated"], { cmd: "cmd/reboot", ok: true, id: "r-dated" });
  assert.deepEqual(r.result.reboots.map((b) => b.reason), ["dated"]);
  assert.ok(r.result.reboots[0].atMs >= 50000);

  // Counted like every other refusal: the first boot's heartbeats go from 0 to 3 rejected.
  const beats = r.world.broker.arrivals.filter((a) => a.topic.endsWith("/heartbeat")).map((a) => JSON.parse(a.payload) as { epoch: number; uptimeMs: number; rejected: number });
  const first = beats.filter((h) => h.epoch === 1);
  assert.equal(first.find((h) => h.uptimeMs < 20000)?.rejected, 0);
  assert.equal(first.at(-1)?.rejected, 3);
});
