// The broker as an attacker meets it (issue 11, items 3, 2 and 8): TLS with client certificates
// from the fleet's CA is the only way in for devices; a client id is bound to its login on every
// door, so no login can kick another's session; each role may do only its job.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { MqttClient } from "mqtt";
import { brokerFor, connect, FleetWatcher, until } from "../../testing/broker";
import { sleep } from "../../testing/sleep";
import { recordBrokerKind } from "../../testing/environment";
import { Pki } from "../broker/pki";
import type { Identity } from "../broker/credentials";

/** Connects, or says why not (never throws). */
async function attempt(url: string, who: Identity, extra: Parameters<typeof connect>[2] = {}): Promise<MqttClient | Error> {
  try {
    return await connect(url, who, { reconnectPeriod: 0, connectTimeout: 4000, ...extra });
  } catch (e) {
    return e as Error;
  }
}

const end = (c: MqttClient | Error) => { if (!(c instanceof Error)) c.end(true); };

test("TLS: a device without a valid certificate is refused; a client that trusts another CA refuses the broker", async () => {
  const { broker, creds } = await brokerFor(["r1", "r2"]);
  recordBrokerKind(broker);
  const r1 = creds.devices.get("r1")!;
  const stranger = Pki.create("someone else's CA", 1);
  const watcher = await FleetWatcher.start(broker.tlsUrl, creds.fleet, ["routers/#"]);
  const tried: Array<MqttClient | Error> = [];
  try {
    const forged = stranger.issue("r1", { kind: "client" });
    const expired = creds.pki.issue("r1", { kind: "client", expired: true });
    const serverCert = creds.pki.issue("r1", { kind: "server", names: ["r1"] });
    const refused: Array<[string, Identity]> = [
      ["no certificate (its password instead)", { username: "r1", password: r1.password, tls: { ca: broker.caPem } }],
      ["a certificate for r1 from another CA", { username: "r1", password: "", tls: { ca: broker.caPem, cert: forged.certPem, key: forged.keyPem } }],
      ["r1's certificate with another key", { username: "r1", password: "", tls: { ca: broker.caPem, cert: r1.tls!.cert, key: forged.keyPem } }],
      ["an expired certificate from the fleet's CA", { username: "r1", password: "", tls: { ca: broker.caPem, cert: expired.certPem, key: expired.keyPem } }],
      ["a server certificate used as a client's", { username: "r1", password: "", tls: { ca: broker.caPem, cert: serverCert.certPem, key: serverCert.keyPem } }],
    ];
    for (const [what, who] of refused) {
      const c = await attempt(broker.tlsUrl, who, { will: { topic: "routers/r1/state", payload: Buffer.from('{"forged":1}'), qos: 1, retain: true } });
      tried.push(c);
      assert.ok(c instanceof Error, `${what}: let in`);
    }
    // The right certificate gets in, and the broker is the one the CA vouches for.
    const ok = await attempt(broker.tlsUrl, r1);
    tried.push(ok);
    assert.ok(!(ok instanceof Error), `r1 with its certificate: ${ok instanceof Error ? ok.message : ""}`);
    // A device that pins another CA does not talk to this broker, whatever certificate it holds.
    const pinnedElsewhere = await attempt(broker.tlsUrl, { ...r1, tls: { ...r1.tls!, ca: stranger.caPem } });
    tried.push(pinnedElsewhere);
    assert.ok(pinnedElsewhere instanceof Error, "a client pinning another CA connected");
    assert.match(pinnedElsewhere.message, /self[- ]signed|unable to (get|verify)|certificate/i);
    // Nor does a dashboard over wss://.
    const wss = await attempt(broker.wssUrl, { ...creds.dashboard, tls: { ca: stranger.caPem } }, { clientId: "dashboard-x" });
    tried.push(wss);
    assert.ok(wss instanceof Error, "wss client pinning another CA connected");
    await sleep(500);
    assert.deepEqual(watcher.raw.filter((m) => m.payload.includes("forged")), [], "no will of a refused client was published");
  } finally {
    tried.forEach(end);
    watcher.client.end(true);
    await broker.stop();
  }
});

test("client id = login on every door: no login can take over a device's or the fleet's session", async () => {
  const { broker, creds } = await brokerFor(["r1", "r2"]);
  recordBrokerKind(broker);
  // The fleet's session (one per login: a second connection of the same login replaces it).
  const watcher = await FleetWatcher.start(broker.tlsUrl, creds.fleet, ["routers/+/state"]);
  const operator = watcher.client;
  const r1 = await connect(broker.tlsUrl, creds.devices.get("r1")!, {
    reconnectPeriod: 0, will: { topic: "routers/r1/state", payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
  });
  let r1Lost = 0, operatorLost = 0;
  r1.on("close", () => r1Lost++);
  operator.on("close", () => operatorLost++);
  r1.publish("routers/r1/state", JSON.stringify({ online: true }), { qos: 1, retain: true });
  await until(() => watcher.states.get("r1")?.length === 1, 5000);
  const tried: Array<MqttClient | Error> = [];
  try {
    const dash = creds.dashboard, r2 = creds.devices.get("r2")!;
    // Each login, on each door, asks for the victims' client ids (the issue saw 22 takeovers in 25 s).
    for (let round = 0; round < 5; round++) {
      for (const victim of ["r1", "fleet"]) {
        tried.push(await attempt(broker.wsUrl, dash, { clientId: victim }));
        tried.push(await attempt(broker.wssUrl, { ...dash, tls: { ca: broker.caPem } }, { clientId: victim }));
        tried.push(await attempt(broker.tlsUrl, dash, { clientId: victim }));
        tried.push(await attempt(broker.tlsUrl, r2, { clientId: victim }));
        tried.push(await attempt(broker.url, dash, { clientId: victim }));
        tried.push(await attempt(broker.url, { ...r2, tls: undefined }, { clientId: victim }));
      }
    }
    await sleep(1000);
    assert.equal(r1Lost, 0, "r1's session was taken over");
    assert.equal(operatorLost, 0, "the fleet's session was taken over");
    assert.ok(r1.connected && operator.connected);
    assert.deepEqual(watcher.states.get("r1")!.map((s) => s.online), [true], "r1's state never flapped (no will published)");
    // The WebSocket door refuses those ids outright (the TCP doors rename the client to its login).
    const ws = await attempt(broker.wsUrl, dash, { clientId: "r1" });
    tried.push(ws);
    assert.ok(ws instanceof Error && /identifier|rejected|refused/i.test(ws.message), `ws with client id r1: ${ws instanceof Error ? ws.message : "connected"}`);
    // Many people can watch with one dashboard login: each page has its own "<login>-..." id.
    const pageA = await attempt(broker.wsUrl, dash, { clientId: "dashboard-a1" });
    const pageB = await attempt(broker.wssUrl, { ...dash, tls: { ca: broker.caPem } }, { clientId: "dashboard-b2" });
    tried.push(pageA, pageB);
    assert.ok(!(pageA instanceof Error) && !(pageB instanceof Error), "two dashboard pages connect");
    await sleep(500);
    assert.ok(pageA.connected && pageB.connected, "and both stay connected");
  } finally {
    tried.forEach(end);
    r1.end(true);
    watcher.client.end(true);
    await broker.stop();
  }
});

test("roles: devices own their topics; the fleet writes only config/set and cmd/#; dashboards only read", async () => {
  const { broker, creds } = await brokerFor(["r1", "r2"]);
  recordBrokerKind(broker);
  // What everyone else would see: a dashboard page over WebSockets, subscribed to everything.
  const page = await connect(broker.wsUrl, creds.dashboard, { clientId: "dashboard-watch", reconnectPeriod: 500 });
  const seen: Array<{ topic: string; payload: string }> = [];
  page.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  await page.subscribeAsync("routers/#", { qos: 1 });
  const r1 = await connect(broker.tlsUrl, creds.devices.get("r1")!, { reconnectPeriod: 500 });
  const r1Got: string[] = [];
  r1.on("message", (topic) => r1Got.push(topic));
  await r1.subscribeAsync("routers/r1/cmd/#", { qos: 1 });
  await r1.subscribeAsync("routers/r1/config/set", { qos: 1 });
  const tried: Array<MqttClient | Error> = [];
  const forge = async (url: string, who: Identity, topics: string[], clientId = who.username) => {
    const c = await attempt(url, who, { clientId });
    tried.push(c);
    if (c instanceof Error) throw new Error(`${who.username} could not log in at ${url}: ${c.message}`);
    for (const t of topics) c.publish(t, JSON.stringify({ forged: who.username, id: "x" }), { qos: 1, retain: true }, () => {});
  };
  try {
    const reports = (id: string) => ["state", "heartbeat", "birth", "event", "reply"].map((k) => `routers/${id}/${k}`);
    // The fleet login speaks for no router, not even one named like itself.
    await forge(broker.tlsUrl, creds.fleet, [...reports("r1"), ...reports("fleet")]);
    await forge(broker.url, creds.fleet, reports("r2"));
    // The dashboard login writes nothing: no fake router "dashboard" (the old pattern rules allowed
    // it), no command, no report of a real router; on none of its doors.
    const dashTopics = [...reports("dashboard"), ...reports("r1"), "routers/r1/cmd/reboot", "routers/r1/config/set"];
    await forge(broker.tlsUrl, creds.dashboard, dashTopics);
    await forge(broker.url, creds.dashboard, dashTopics);
    await forge(broker.wsUrl, creds.dashboard, dashTopics, "dashboard-evil");
    // A device hears only its own commands and speaks only for itself (it subscribes first: aedes
    // closes a connection that publishes where it may not, Mosquitto drops the message).
    const r2 = await attempt(broker.tlsUrl, creds.devices.get("r2")!);
    tried.push(r2);
    if (r2 instanceof Error) throw r2;
    const r2Heard: string[] = [];
    r2.on("message", (t) => r2Heard.push(t));
    await r2.subscribeAsync("routers/#", { qos: 1 }).catch(() => []);
    await r2.subscribeAsync("routers/r1/#", { qos: 1 }).catch(() => []);
    for (const t of [...reports("r1"), "routers/r1/cmd/reboot", "routers/r2/cmd/reboot"]) {
      r2.publish(t, JSON.stringify({ forged: "r2" }), { qos: 1, retain: true }, () => {});
    }
    // The fleet's own job gets through.
    const operator = await connect(broker.tlsUrl, creds.fleet, { reconnectPeriod: 0 });
    tried.push(operator);
    operator.publish("routers/r1/cmd/probe-now", JSON.stringify({ id: "op-1" }), { qos: 1 });
    operator.publish("routers/r1/config/set", JSON.stringify({ id: "op-2", config: {} }), { qos: 1 });
    r1.publish("routers/r1/state", JSON.stringify({ online: true }), { qos: 1, retain: true });
    assert.ok(await until(() => r1Got.length >= 2 && seen.some((m) => m.topic === "routers/r1/state"), 5000), `r1 got ${r1Got}`);
    await sleep(1000);
    assert.deepEqual(seen.filter((m) => m.payload.includes("forged")).map((m) => `${m.topic} from ${JSON.parse(m.payload).forged}`), [],
      "a forged message reached the dashboard");
    assert.deepEqual(r1Got.sort(), ["routers/r1/cmd/probe-now", "routers/r1/config/set"], "r1 got only the fleet's command and config");
    assert.deepEqual(r2Heard.filter((t) => !t.startsWith("routers/r2/")), [], "r2 overheard another router");
    // Nothing forged was retained either: a page opened now sees only the real router.
    const later = await connect(broker.wsUrl, creds.dashboard, { clientId: "dashboard-later", reconnectPeriod: 0 });
    tried.push(later);
    const retained: string[] = [];
    later.on("message", (topic, payload, packet) => { if (packet.retain) retained.push(`${topic} ${payload}`); });
    await later.subscribeAsync("routers/#", { qos: 1 });
    await sleep(800);
    assert.deepEqual(retained, ['routers/r1/state {"online":true}'], "retained topics");
  } finally {
    tried.forEach(end);
    page.end(true);
    r1.end(true);
    await broker.stop();
  }
});

test("each fleet tool its own login: two tools at once both keep their sessions; two on one login kick each other", async () => {
  const { broker, creds } = await brokerFor(["r1"]);
  recordBrokerKind(broker);
  const [one, two] = creds.tools;
  assert.deepEqual([one.username, two.username], ["fleet-1", "fleet-2"]);
  const lost = new Map<string, number>();
  const open = async (who: Identity, label: string) => {
    const c = await connect(broker.tlsUrl, who, { reconnectPeriod: 0 });
    c.on("close", () => lost.set(label, (lost.get(label) ?? 0) + 1));
    return c;
  };
  const r1 = await connect(broker.tlsUrl, creds.devices.get("r1")!, { reconnectPeriod: 0 });
  const got: string[] = [];
  r1.on("message", (_t, m) => got.push(m.toString()));
  await r1.subscribeAsync("routers/r1/cmd/#", { qos: 1 });
  const clients: MqttClient[] = [r1];
  try {
    const a = await open(one, "a"), b = await open(two, "b"), c = await open(creds.fleet, "console");
    clients.push(a, b, c);
    // Each sends a command, as a console and two operators' scripts would at the same time.
    await a.publishAsync("routers/r1/cmd/probe-now", JSON.stringify({ id: "a" }), { qos: 1 });
    await b.publishAsync("routers/r1/cmd/probe-now", JSON.stringify({ id: "b" }), { qos: 1 });
    await c.publishAsync("routers/r1/cmd/probe-now", JSON.stringify({ id: "c" }), { qos: 1 });
    assert.ok(await until(() => got.length === 3, 5000), `r1 got ${got}`);
    await sleep(500);
    assert.deepEqual([...lost], [], "no tool lost its session");
    assert.ok(a.connected && b.connected && c.connected);
    // What the shared login did: a second tool with the same login takes the first one's session.
    const a2 = await open(one, "a2");
    clients.push(a2);
    assert.ok(await until(() => (lost.get("a") ?? 0) > 0, 5000), "the same login twice: the first is kicked");
    assert.ok(b.connected && c.connected, "other tools keep theirs");
  } finally {
    clients.forEach((x) => x.end(true));
    await broker.stop();
  }
});
