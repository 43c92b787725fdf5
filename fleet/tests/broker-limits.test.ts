// Size limits at the broker (issue 11, item 7): 40 x 5 MB QoS 1 events once took Mosquitto from
// 17 MB to 417 MB. A packet over max_packet_size now closes its connection before the broker keeps
// it; per-client queues are bounded in bytes; the WebSocket door caps frames the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { MqttClient } from "mqtt";
import { brokerFor, connect, until } from "../../testing/broker";
import { sleep } from "../../testing/sleep";
import { recordBrokerKind } from "../../testing/environment";
import { brokerLimits } from "../broker/limits";
import WebSocket from "ws";

const limits = brokerLimits();

/** Mosquitto's resident memory in kB (null for the embedded broker, which is this process). */
function rssKb(pid: number | null): number | null {
  if (pid === null) return null;
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : null;
}

/** Publish once on a fresh connection; resolves with whether the broker closed that connection. */
async function publishOnce(url: string, who: Parameters<typeof connect>[1], topic: string, payload: Buffer): Promise<boolean> {
  const c = await connect(url, who, { reconnectPeriod: 0 });
  const closed = new Promise<boolean>((resolve) => c.once("close", () => resolve(true)));
  c.publish(topic, payload, { qos: 1 }, () => {});
  const r = await Promise.race([closed, sleep(3000).then(() => false)]);
  c.end(true);
  return r;
}

test("an oversized publish closes its connection; the broker keeps none of it and its memory stays flat", async (t) => {
  const { broker, creds } = await brokerFor(["r1"]);
  recordBrokerKind(broker);
  const fleet = creds.fleet, r1 = creds.devices.get("r1")!;
  let watcher: MqttClient | null = null;
  try {
    // An operator's persistent session that is away: QoS 1 events would wait in its queue.
    watcher = await connect(broker.tlsUrl, fleet, { clean: false, reconnectPeriod: 0 });
    await watcher.subscribeAsync("routers/+/event", { qos: 1 });
    watcher.end(true);
    watcher = null;
    await sleep(300);
    const before = rssKb(broker.pid);
    const big = Buffer.alloc(1 << 20, 0x61); // 1 MB, 64 x the limit
    let closed = 0;
    for (let i = 0; i < 40; i++) if (await publishOnce(broker.tlsUrl, r1, "routers/r1/event", big)) closed++;
    // Just under the limit is fine.
    const fits = Buffer.from(JSON.stringify({ type: "fits", pad: "x".repeat(limits.messageSizeLimit - 200) }));
    assert.equal(await publishOnce(broker.tlsUrl, r1, "routers/r1/event", fits), false, "a message under the limit was refused");
    const after = rssKb(broker.pid);
    assert.equal(closed, 40, `the broker closed ${closed} of 40 connections that sent 1 MB`);
    if (before !== null && after !== null) {
      t.diagnostic(`mosquitto RSS ${before} kB -> ${after} kB after 40 x 1 MB QoS 1 publishes`);
      assert.ok(after - before < 8192, `mosquitto grew ${after - before} kB`);
    }
    // The away session gets the one that fitted, not the others.
    const back = await connect(broker.tlsUrl, fleet, { clean: false, reconnectPeriod: 0 });
    watcher = back;
    const got: number[] = [];
    back.on("message", (_t, p) => got.push(p.length));
    await until(() => got.length >= 1, 5000);
    await sleep(500);
    assert.deepEqual(got, [fits.length]);
  } finally {
    watcher?.end(true);
    await broker.stop();
  }
});

test("per-client queues are bounded: an absent subscriber cannot make the broker hold everything", async (t) => {
  const { broker, creds } = await brokerFor(["r1"]);
  recordBrokerKind(broker);
  if (broker.kind !== "mosquitto") {
    // aedes' in-memory persistence has no queue limit; the embedded broker is the local demo.
    t.skip("queue limits are Mosquitto's (max_queued_bytes); the embedded broker has none");
    await broker.stop();
    return;
  }
  let sub: MqttClient | null = null, pub: MqttClient | null = null;
  try {
    sub = await connect(broker.tlsUrl, creds.fleet, { clean: false, reconnectPeriod: 0 });
    await sub.subscribeAsync("routers/r1/event", { qos: 1 });
    sub.end(true);
    sub = null;
    const before = rssKb(broker.pid)!;
    pub = await connect(broker.tlsUrl, creds.devices.get("r1")!, { reconnectPeriod: 0 });
    const N = 12000, payload = Buffer.alloc(1000, 0x62); // 12 MB for one absent client
    let acked = 0;
    for (let i = 0; i < N; i++) {
      pub.publish("routers/r1/event", payload, { qos: 1 }, () => { acked++; });
      if (i % 200 === 199) await until(() => acked >= i - 400, 10000);
    }
    assert.ok(await until(() => acked === N, 30000), `published ${acked} of ${N}`);
    const held = rssKb(broker.pid)!;
    sub = await connect(broker.tlsUrl, creds.fleet, { clean: false, reconnectPeriod: 0 });
    let got = 0;
    sub.on("message", () => { got++; });
    let last = -1;
    while (got !== last) { last = got; await sleep(700); }
    const cap = Math.ceil(limits.maxQueuedBytes / payload.length) + 100; // queued bytes + those in flight
    t.diagnostic(`${N} x ${payload.length} B for an absent subscriber: ${got} kept (cap ${cap}); mosquitto RSS ${before} -> ${held} kB`);
    assert.ok(got > 0 && got <= cap, `the absent subscriber got ${got} (cap ${cap})`);
    assert.ok(held - before < 12 * 1024, `mosquitto held ${held - before} kB for ${N * payload.length / 1024} kB sent`);
  } finally {
    pub?.end(true);
    sub?.end(true);
    await broker.stop();
  }
});

test("the WebSocket door caps frames and packets at the broker's limit", async () => {
  const { broker, creds } = await brokerFor([]);
  recordBrokerKind(broker);
  try {
    // A packet over max_packet_size inside an ordinary frame: the bridge closes before the broker sees it.
    const page = await connect(broker.wsUrl, creds.dashboard, { clientId: "dashboard-big", reconnectPeriod: 0 });
    const closed = new Promise<boolean>((r) => page.once("close", () => r(true)));
    page.publish("routers/x/heartbeat", Buffer.alloc(limits.maxPacketSize + 1, 0x63), { qos: 0 });
    assert.equal(await Promise.race([closed, sleep(3000).then(() => false)]), true, "still connected after an oversized packet");
    page.end(true);
    // A frame far over the cap, before any CONNECT: closed with "message too big" (1009).
    const ws = new WebSocket(broker.wsUrl, "mqtt");
    await new Promise((r) => ws.once("open", r));
    const code = new Promise<number>((r) => ws.once("close", (c) => r(c)));
    ws.send(Buffer.alloc(8 * limits.maxPacketSize));
    assert.equal(await Promise.race([code, sleep(3000).then(() => -1)]), 1009);
  } finally {
    await broker.stop();
  }
});
