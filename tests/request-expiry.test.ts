// Issue 20, finding 9: commands had no default expiry and the replay window was 16 ids in RAM.
// A dated request (epoch + expiresAtMs, as the console sends them) now lives at most 10 minutes,
// and its answer is remembered until it expires: a 17th live request is told to retry instead of
// pushing the oldest answer out, so a redelivery is never applied twice. Node and XS (helpers.run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run, ofType } from "../testing/scenario-runs";
import type { FleetMessage } from "../sim/scenario/load-scenario";
import { MAX_REQUEST_LIFE_MS } from "../src/config/limits";

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
