// Everything the firmware sends matches the message schemas the fleet side reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, run } from "../testing/scenario-runs";
import { commandAt } from "../testing/dated-commands";
import { checkMessage, MAX_EPOCH, type MessageKind } from "../dashboard/src/message-schemas";
import { FleetState } from "../dashboard/src/fleet-state";
import { EPOCH_MAX } from "../src/watchdog/boot-guard";

test("every message of a busy run validates against src/config/messages", () => {
  const { world } = run(example("demo-outage", {
    messages: [commandAt(5000, "probe-now", { id: "x" }), commandAt(6000, "failover", { link: 5 })],
  }));
  const counts = new Map<string, number>();
  for (const a of world.broker.arrivals) {
    const kind = a.topic.split("/").slice(2).join("/") as MessageKind;
    if (!["heartbeat", "event", "state", "birth", "reply"].includes(kind)) continue;
    assert.equal(checkMessage(kind, a.payload), null, `${kind}: ${a.payload}`);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  for (const k of ["heartbeat", "event", "state", "birth", "reply"]) assert.ok((counts.get(k) ?? 0) > 0, `saw ${k}`);
});

test("the schemas reject what they should", () => {
  assert.match(checkMessage("heartbeat", JSON.stringify({ seq: 1 })) ?? "", /must have required property/);
  assert.match(checkMessage("event", JSON.stringify({ epoch: 1, seq: 300, atMs: 0, type: "boot" })) ?? "", /\/seq must be <= 255/);
  assert.match(checkMessage("state", "{") ?? "", /not JSON/);
});

test("the dashboard bounds boot numbers where the firmware and the schemas do (2^31 - 1)", () => {
  assert.equal(MAX_EPOCH, EPOCH_MAX);
  // A seed from the history with a boot number past the firmware's bound would outrank every real
  // boot (events of boot 5 would look stale): it is not taken.
  const s = new FleetState();
  s.seed([{ id: "r1", epoch: 2 ** 31, online: true }] as never);
  assert.equal(s.rows.get("r1")?.liveEpoch ?? null, null);
  s.seed([{ id: "r2", epoch: EPOCH_MAX, online: true }] as never);
  assert.equal(s.rows.get("r2")?.liveEpoch, EPOCH_MAX);
});
