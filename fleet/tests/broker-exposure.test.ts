// What a broker of ours can be reached on (issue 11, item 16): Mosquitto 2.0.11 binds a websockets
// listener on every interface whatever address it is given, so the harness does not use one: the
// dashboards' door is a bridge that binds exactly where it is told. By default everything listens
// on loopback; with a public address only the TLS doors listen there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { networkInterfaces, userInfo } from "node:os";
import { spawn } from "node:child_process";
import { brokerFor } from "../../testing/broker";
import { recordBrokerKind } from "../../testing/environment";
import { accepts, freePort, waitForPort } from "../broker/free-port";
import { mosquittoPath } from "../broker/broker";
import { MOSQUITTO_CONF } from "../broker/limits";
import { PrivateDir } from "../broker/private-dir";

interface Listening { addr: string; port: number }

function hexIp(h: string): string {
  if (h.length === 8) return [3, 2, 1, 0].map((i) => parseInt(h.slice(i * 2, i * 2 + 2), 16)).join(".");
  // IPv6: four 32-bit words, each little-endian.
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) for (const i of [3, 2, 1, 0]) bytes.push(parseInt(h.slice(w * 8 + i * 2, w * 8 + i * 2 + 2), 16));
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  const s = groups.join(":");
  if (s === "0:0:0:0:0:0:0:0") return "::";
  if (s === "0:0:0:0:0:0:0:1") return "::1";
  if (s.startsWith("0:0:0:0:0:ffff:")) return "::ffff:" + hexIp(h.slice(24));
  return s;
}

/** The TCP sockets a process listens on, from /proc (what `ss -ltnp` shows). */
function listeningOf(pid: number): Listening[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const l = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (l.startsWith("socket:[")) inodes.add(l.slice(8, -1));
    } catch { /* closed meanwhile */ }
  }
  const out: Listening[] = [];
  for (const f of ["tcp", "tcp6"]) {
    let text = "";
    try { text = readFileSync(`/proc/${pid}/net/${f}`, "utf8"); } catch { continue; }
    for (const line of text.split("\n").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10 || c[3] !== "0A" || !inodes.has(c[9])) continue;
      const [ip, port] = c[1].split(":");
      out.push({ addr: hexIp(ip), port: parseInt(port, 16) });
    }
  }
  return out;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** A non-loopback IPv4 address of this machine, if it has one. */
function publicAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return null;
}

test("by default every door listens on loopback only: nothing answers on the machine's other addresses", async (t) => {
  const { broker } = await brokerFor(["r1"]);
  recordBrokerKind(broker);
  try {
    const ports = { mqtt: broker.port, mqtts: broker.tlsPort, ws: broker.wsPort, wss: broker.wssPort };
    const mine = [...(broker.pid ? listeningOf(broker.pid) : []), ...listeningOf(process.pid).filter((l) => Object.values(ports).includes(l.port))];
    t.diagnostic(`listening: ${mine.map((l) => `${l.addr}:${l.port}`).join(", ")}`);
    for (const [door, port] of Object.entries(ports)) {
      const socks = mine.filter((l) => l.port === port);
      assert.ok(socks.length > 0, `${door} door (port ${port}) not found`);
      for (const s of socks) assert.ok(LOOPBACK.has(s.addr), `${door} door listens on ${s.addr}:${s.port}`);
    }
    if (broker.pid) {
      const stray = listeningOf(broker.pid).filter((l) => !LOOPBACK.has(l.addr));
      assert.deepEqual(stray, [], "mosquitto listens off loopback");
    }
    const pub = publicAddress();
    if (!pub) return t.diagnostic("no non-loopback address on this machine: reachability from it not checked");
    for (const [door, port] of Object.entries(ports)) assert.equal(await accepts(port, pub, 1000), false, `${door} door answers on ${pub}:${port}`);
  } finally {
    await broker.stop();
  }
});

test("bound to a public address, only the TLS doors listen there; plain MQTT and ws:// stay on loopback", async (t) => {
  const pub = publicAddress();
  if (!pub) {
    t.skip("no non-loopback IPv4 address on this machine");
    return;
  }
  const { broker } = await brokerFor(["r1"], { host: pub });
  recordBrokerKind(broker);
  try {
    assert.equal(await accepts(broker.tlsPort, pub), true, "mqtts door on the public address");
    assert.equal(await accepts(broker.wssPort, pub), true, "wss door on the public address");
    assert.equal(await accepts(broker.port, pub, 1000), false, "plain MQTT answers on the public address");
    assert.equal(await accepts(broker.wsPort, pub, 1000), false, "ws:// answers on the public address");
    assert.equal(await accepts(broker.port), true, "plain MQTT on loopback for development");
    assert.match(broker.tlsUrl, new RegExp(`^mqtts://${pub.replaceAll(".", "\\.")}:`));
  } finally {
    await broker.stop();
  }
});

test("Mosquitto's own websockets listener ignores its bind address, so the harness never configures one", async (t) => {
  const conf = readFileSync(MOSQUITTO_CONF, "utf8");
  assert.ok(!/^\s*protocol\s+websockets/m.test(conf), "broker/mosquitto.conf opens a Mosquitto websockets listener");
  const bin = mosquittoPath();
  if (!bin) {
    t.skip("mosquitto not installed: its websockets bind not observed");
    return;
  }
  // What the installed version does with `listener PORT 127.0.0.1` + `protocol websockets`, recorded.
  const dir = new PrivateDir("mosquitto-ws-");
  const port = await freePort(), mqttPort = await freePort();
  // (2.0.11 refuses to start with a websockets listener alone.)
  const file = dir.write("m.conf", `user ${userInfo().username}\nlistener ${mqttPort} 127.0.0.1\nprotocol mqtt\n` +
    `listener ${port} 127.0.0.1\nprotocol websockets\nallow_anonymous false\n`);
  const p = spawn(bin, ["-c", file], { stdio: "ignore" });
  try {
    await waitForPort(port);
    const where = listeningOf(p.pid!).filter((l) => l.port === port).map((l) => l.addr);
    t.diagnostic(`mosquitto ${p.pid}: websockets listener asked for 127.0.0.1 listens on ${where.join(", ")}`);
    assert.ok(where.length > 0);
  } finally {
    p.kill("SIGKILL");
    dir.remove();
  }
});
