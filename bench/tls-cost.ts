// npm run bench -- --tls: what TLS costs a router, measured through the broker (Mosquitto when
// installed) with a byte-counting TCP proxy on loopback: bytes on the wire per heartbeat and per
// connection set-up, plain MQTT against MQTT over TLS 1.2 and 1.3 with a client certificate (EC
// P-256), and the time from TCP connect to CONNACK. The XS heap during a handshake depends on
// mbedTLS on the device and cannot be measured here.
import { createServer, connect as netConnect, type Server } from "node:net";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions } from "mqtt";
import { startBroker } from "../fleet/broker/broker";
import { makeCredentials } from "../fleet/broker/credentials";
import { loginOptions } from "../fleet/broker/connect";
import { parseScenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";

interface Counted { server: Server; port: number; up: number; down: number }

/** A TCP proxy to 127.0.0.1:target that counts bytes each way. */
async function countingProxy(target: number): Promise<Counted> {
  const c: Counted = { server: createServer(), port: 0, up: 0, down: 0 };
  c.server.on("connection", (client) => {
    const upstream = netConnect(target, "127.0.0.1");
    // Forward at once: Nagle in the proxy would add delayed-ACK waits no real path has.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (d) => { c.up += d.length; upstream.write(d); });
    upstream.on("data", (d) => { c.down += d.length; client.write(d); });
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on("close", close); upstream.on("close", close);
    client.on("error", close); upstream.on("error", close);
  });
  await new Promise<void>((r) => c.server.listen(0, "127.0.0.1", () => r()));
  c.port = (c.server.address() as { port: number }).port;
  return c;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function tlsCost(): Promise<void> {
  const demo = parseScenario(readFileSync(new URL("../sim/scenarios/demo-outage.json", import.meta.url), "utf8"), "demo");
  const beats = runScenario(demo).world.broker.arrivals.filter((a) => a.topic.endsWith("/heartbeat"));
  const heartbeat = beats[beats.length - 1].payload;
  const id = "demo-router";
  const creds = makeCredentials([id]);
  const broker = await startBroker(creds);
  const who = creds.devices.get(id)!;
  const N = 200, CONNECTS = 40;
  const rows: string[][] = [];
  try {
    const modes: Array<{ name: string; target: number; scheme: string; extra: IClientOptions }> = [
      { name: "plain MQTT (password)", target: broker.port, scheme: "mqtt", extra: {} },
      { name: "TLS 1.2, client certificate", target: broker.tlsPort, scheme: "mqtts", extra: { maxVersion: "TLSv1.2", servername: "localhost" } as IClientOptions },
      { name: "TLS 1.3, client certificate", target: broker.tlsPort, scheme: "mqtts", extra: { minVersion: "TLSv1.3", servername: "localhost" } as IClientOptions },
    ];
    for (const m of modes) {
      const proxy = await countingProxy(m.target);
      const url = `${m.scheme}://127.0.0.1:${proxy.port}`;
      const opts: IClientOptions = { clientId: id, reconnectPeriod: 0, keepalive: 60, protocolVersion: 4, ...loginOptions(url, who), ...m.extra };
      // Connection set-up: bytes and time from TCP connect to CONNACK.
      const times: number[] = [];
      let setupUp = 0, setupDown = 0, protocol = "";
      for (let i = 0; i < CONNECTS; i++) {
        const [u0, d0] = [proxy.up, proxy.down];
        const t0 = performance.now();
        const c = mqtt.connect(url, opts);
        await new Promise<void>((resolve, reject) => { c.once("connect", () => resolve()); c.once("error", reject); });
        times.push(performance.now() - t0);
        protocol = (c.stream as { getProtocol?: () => string | null }).getProtocol?.() ?? "TCP";
        setupUp = proxy.up - u0;
        setupDown = proxy.down - d0;
        await new Promise<void>((r) => c.end(false, {}, () => r()));
      }
      // Heartbeats on an open connection.
      const c = mqtt.connect(url, opts);
      await new Promise<void>((resolve, reject) => { c.once("connect", () => resolve()); c.once("error", reject); });
      await new Promise((r) => setTimeout(r, 100));
      const u0 = proxy.up;
      for (let i = 0; i < N; i++) {
        await new Promise<void>((r) => c.publish(`routers/${id}/heartbeat`, heartbeat, { qos: 0 }, () => r()));
        await new Promise((r) => setTimeout(r, 2)); // one heartbeat per TCP segment, as on the device
      }
      await new Promise((r) => setTimeout(r, 200));
      const perBeat = (proxy.up - u0) / N;
      await new Promise<void>((r) => c.end(false, {}, () => r()));
      proxy.server.close();
      rows.push([`${m.name} (${protocol})`, perBeat.toFixed(1), String(setupUp), String(setupDown), median(times).toFixed(1), Math.max(...times).toFixed(1)]);
    }
  } finally {
    await broker.stop();
  }
  const w = [42, 12, 14, 14, 14, 10];
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log(`\nTLS cost through ${broker.kind} ${broker.version} on loopback (heartbeat payload ${Buffer.byteLength(heartbeat)} B, QoS 0; ` +
    `${N} heartbeats, ${CONNECTS} connections each; bytes counted by a TCP proxy, TCP/IP headers not included):`);
  console.log(row(["", "B/heartbeat", "setup B up", "setup B down", "CONNACK ms med", "max ms"]));
  for (const r of rows) console.log(row(r));
  console.log("  XS heap during a handshake: not measurable here (mbedTLS runs in C on the device, outside this XS worker);");
  console.log("  measure it on the device build: Debug.gc() and the instrumentation's heap figures before connect and at CONNACK.");
}
