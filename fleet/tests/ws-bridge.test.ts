// The dashboards' WebSocket door (fleet/broker/ws-bridge.ts): its MQTT reading, its password
// throttle (Mosquitto 2.0 has none), and who it lets through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerFor, connect } from "../../testing/broker";
import { sleep } from "../../testing/sleep";
import { recordBrokerKind } from "../../testing/environment";
import { connackAccepted, PacketSizeGuard, readConnect } from "../broker/mqtt-frames";
import { LoginThrottle } from "../broker/login-throttle";
import mqttPacket from "mqtt-packet";
import WebSocket from "ws";

test("MQTT frames: CONNECT read for 3.1.1 and 5 with will and login; announced sizes tracked across chunks", () => {
  for (const protocolVersion of [4, 5] as const) {
    const bytes = mqttPacket.generate({
      cmd: "connect", protocolId: "MQTT", protocolVersion, clean: true, keepalive: 30, clientId: "dashboard-7", username: "dashboard", password: Buffer.from("pw"),
      will: { topic: "t", payload: Buffer.from("bye"), qos: 1, retain: false }, ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 5 } } : {}),
    } as mqttPacket.IConnectPacket);
    for (let cut = 0; cut < bytes.length; cut++) assert.equal(readConnect(bytes.subarray(0, cut)).state, "incomplete");
    assert.deepEqual(readConnect(bytes), { state: "ok", level: protocolVersion, clientId: "dashboard-7", username: "dashboard", bytes: bytes.length,
      persistent: protocolVersion === 5 /* a session expiry keeps the session */ });
  }
  assert.equal(readConnect(mqttPacket.generate({ cmd: "pingreq" })).state, "bad");
  assert.equal(readConnect(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])).state, "bad");
  assert.equal(readConnect(Buffer.from([0x10, 0x04, 0x00, 0x09, 0x41, 0x42])).state, "bad", "a field longer than its packet");
  assert.equal(connackAccepted(Buffer.from([0x20, 0x02, 0x00, 0x00])), true);
  assert.equal(connackAccepted(Buffer.from([0x20, 0x02, 0x00, 0x05])), false);

  const guard = new PacketSizeGuard(100);
  const small = mqttPacket.generate({ cmd: "publish", topic: "a", payload: Buffer.alloc(50), qos: 0, dup: false, retain: false });
  const big = mqttPacket.generate({ cmd: "publish", topic: "a", payload: Buffer.alloc(200), qos: 0, dup: false, retain: false });
  const stream = Buffer.concat([small, small, big]);
  let seen = 0;
  for (let i = 0; i < stream.length && !seen; i += 7) seen = guard.check(stream.subarray(i, i + 7));
  assert.equal(seen, big.length, "the oversized packet is noticed from its header, in any chunking");
  assert.equal(new PacketSizeGuard(100).check(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])), Number.MAX_SAFE_INTEGER);
});

test("login throttle: blocks an address after repeated failures, longer each time, bounded in memory", () => {
  const th = new LoginThrottle({ maxFailures: 3, windowMs: 1000, blockMs: 100, maxBlockMs: 250, maxAddresses: 2 });
  th.failed("a", 0); th.failed("a", 10);
  assert.equal(th.blocked("a", 20), false);
  th.failed("a", 2000); // the first two are out of the window
  assert.equal(th.blocked("a", 2001), false);
  th.failed("a", 2002); th.failed("a", 2003);
  assert.equal(th.blocked("a", 2004), true);
  assert.equal(th.blocked("a", 2103), false, "100 ms block");
  for (const t of [3000, 3001, 3002]) th.failed("a", t);
  assert.equal(th.blocked("a", 3201), true, "then 200 ms");
  assert.equal(th.blocked("b", 3201), false, "other addresses unaffected");
  th.failed("b", 0); th.failed("c", 0);
  assert.equal(th.blocked("a", 3201), false, "oldest address forgotten at the bound");
});

test("the WebSocket door: dashboard logins only, guessing passwords gets an address turned away, foreign web pages refused", async () => {
  const { broker, creds } = await brokerFor(["r1"], { throttle: { maxFailures: 3, windowMs: 60000, blockMs: 2000, maxBlockMs: 4000, maxAddresses: 100 } });
  recordBrokerKind(broker);
  const opened: Array<Awaited<ReturnType<typeof connect>>> = [];
  const attempt = async (who: { username: string; password: string }, clientId: string, localAddress = "127.0.0.1") => {
    try {
      opened.push(await connect(broker.wsUrl, who, { clientId, reconnectPeriod: 0, connectTimeout: 3000, wsOptions: { localAddress } }));
      return "connected";
    } catch (e) {
      return (e as Error).message;
    }
  };
  const upgrade = (origin?: string) => new Promise<number | string>((resolve) => {
    const ws = new WebSocket(broker.wsUrl, "mqtt", origin ? { origin } : {});
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("open", () => { ws.close(); resolve("open"); });
    ws.once("error", (e) => resolve(e.message));
  });
  try {
    // Only dashboards come in this way: not the fleet, not a device, with their right passwords.
    assert.match(await attempt(creds.fleet, "fleet-x", "127.0.0.3"), /Not authorized/i);
    assert.match(await attempt(creds.devices.get("r1")!, "r1", "127.0.0.3"), /Not authorized/i);
    // Three wrong passwords from 127.0.0.1; then even the right one is turned away for a while.
    for (let i = 0; i < 3; i++) assert.match(await attempt({ username: "dashboard", password: "guess" + i }, "dashboard-g"), /Not authorized|Bad username/i);
    // (Read at the HTTP level: MQTT.js does not report a refused WebSocket upgrade.)
    assert.equal(await upgrade(), 429, "a blocked address is refused before any MQTT");
    assert.equal(await attempt(creds.dashboard, "dashboard-other", "127.0.0.2"), "connected", "another address is not affected");
    await sleep(2200);
    assert.equal(await attempt(creds.dashboard, "dashboard-ok"), "connected", "the block ends");
    // A page from another origin may not use a browser on the operator's desk to knock.
    broker.allowOrigins(["http://127.0.0.1:8080"]);
    assert.equal(await upgrade("https://evil.example"), 403);
    assert.equal(await upgrade("http://127.0.0.1:8080"), "open");
    // A client that opens the socket and sends no CONNECT is not kept waiting for ever (here: at once, garbage).
    const junk = new WebSocket(broker.wsUrl, "mqtt");
    await new Promise((r) => junk.once("open", r));
    const closed = new Promise((r) => junk.once("close", r));
    junk.send(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    assert.equal(await Promise.race([closed.then(() => "closed"), sleep(3000).then(() => "open")]), "closed");
  } finally {
    for (const c of opened) c.end(true);
    await broker.stop();
  }
});
