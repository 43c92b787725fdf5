// The programs that run inside the testbed's namespaces, one role each (`node dist/testbed-agent.js
// ROLE`). They answer the orchestrator on stdin/stdout, one JSON object per line, and exit when
// stdin closes (the orchestrator died: nothing outlives the run).
//
// server (inet): the far end users and the router talk to. A UDP sink that records each packet's
//   arrival, sequence number and source address; a TCP echo service; DNS on the resolvers the
//   firmware probes (8.8.8.8, 1.0.0.1); TCP 443 on 9.9.9.9; and an MQTT watcher of the router's
//   events on the broker (mosquitto, started beside it). It sends each stream packet back (the
//   other party of the call), so users' packets arrive at the router as well as leave it.
// client (lan): a user. A UDP stream of 50 packets/s (a voice call), two TCP connections that
//   exchange a line every 200 ms (a chat, an SSH session), and on demand repeated attempts to
//   open a new TCP connection (a page load) until one succeeds.
import { createSocket } from "node:dgram";
import { createConnection, createServer, type Socket } from "node:net";
import { createInterface } from "node:readline";
import mqtt from "mqtt";
import { dnsAnswer } from "../testing/device/path-responders";

export const PORTS = { stream: 5000, echo: 5001, discard: 5002 } as const;
const STREAM_PPS = 50;
const HELD_CONNECTIONS = 2;
const CHAT_MS = 200;
/** Arrivals kept: the longest case (about 5 min at 50/s, 15,000) many times over; `reset` empties them per case. */
const MAX_RECORDS = 400000;

function say(o: unknown): void {
  process.stdout.write(JSON.stringify(o) + "\n");
}

function commands(handle: (cmd: Record<string, unknown>) => void): void {
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    try {
      handle(JSON.parse(line) as Record<string, unknown>);
    } catch (e) {
      say({ error: String(e) });
    }
  });
  rl.on("close", () => process.exit(0));
}

async function server(address: string, resolvers: string[], tcpTargets: string[], deviceId: string): Promise<void> {
  // Arrivals of the stream (wall ms, sequence number, source address), as parallel arrays.
  const at: number[] = [], seq: number[] = [], from: string[] = [];
  const udp = createSocket("udp4");
  udp.on("message", (msg, rinfo) => {
    if (msg.length < 8 || at.length >= MAX_RECORDS) return;
    at.push(Date.now());
    seq.push(msg.readUInt32BE(0));
    from.push(rinfo.address);
    // The other party of the call talks back: the stream is two-way, as users' traffic is.
    udp.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(PORTS.stream, address, () => r()));
  const discard = createSocket("udp4");
  await new Promise<void>((r) => discard.bind(PORTS.discard, address, () => r()));

  const echo = createServer((c) => {
    c.on("error", () => {});
    c.on("data", (d) => c.write(d));
  });
  await new Promise<void>((r) => echo.listen(PORTS.echo, address, () => r()));
  for (const host of tcpTargets) {
    const s = createServer((c) => { c.on("error", () => {}); c.on("end", () => c.end()); c.setTimeout(5000, () => c.destroy()); });
    await new Promise<void>((r) => s.listen(443, host, () => r()));
  }
  for (const host of resolvers) {
    const dns = createSocket("udp4");
    dns.on("message", (msg, rinfo) => {
      const reply = dnsAnswer(msg);
      if (reply) dns.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => dns.bind(53, host, () => r()));
  }

  const events: Array<{ at: number; type: string; from?: string | null; to?: string; reason?: string }> = [];
  let births = 0;
  const watcher = mqtt.connect(`mqtt://${address}:1883`, { clientId: "testbed-watcher", reconnectPeriod: 200 });
  watcher.on("connect", () => watcher.subscribe(`routers/${deviceId}/#`, { qos: 1 }));
  watcher.on("message", (topic, payload) => {
    if (topic.endsWith("/birth")) births++;
    if (!topic.endsWith("/event")) return;
    try {
      const e = JSON.parse(payload.toString()) as { type: string; from?: string | null; to?: string; reason?: string };
      events.push({ at: Date.now(), type: e.type, from: e.from, to: e.to, reason: e.reason });
    } catch { /* not ours to judge here */ }
  });
  watcher.on("error", () => {});

  commands((cmd) => {
    if (cmd.op === "stream") {
      const since = Number(cmd.since ?? 0);
      let i = at.length;
      while (i > 0 && at[i - 1] >= since) i--;
      say({ stream: { at: at.slice(i), seq: seq.slice(i), from: from.slice(i) } });
    } else if (cmd.op === "events") {
      say({ events, births, mqtt: watcher.connected });
    } else if (cmd.op === "reset") {
      at.length = seq.length = from.length = events.length = 0;
      births = 0;
      say({ ok: true });
    }
  });
  say({ ready: true });
}

interface Held { socket: Socket; openedAt: number; lastEchoAt: number; endedAt: number | null; how: string | null }

async function client(serverAddress: string): Promise<void> {
  const udp = createSocket("udp4");
  udp.on("message", () => {});
  let n = 0;
  let sendErrors = 0;
  const packet = Buffer.alloc(160); // G.711 20 ms payload
  setInterval(() => {
    packet.writeUInt32BE(n++ >>> 0, 0);
    udp.send(packet, PORTS.stream, serverAddress, (err) => { if (err) sendErrors++; });
  }, 1000 / STREAM_PPS);

  const held: Held[] = [];
  const open = () => {
    const h: Held = { socket: createConnection({ host: serverAddress, port: PORTS.echo }), openedAt: Date.now(), lastEchoAt: 0, endedAt: null, how: null };
    h.socket.setNoDelay(true);
    h.socket.on("data", () => { h.lastEchoAt = Date.now(); });
    const end = (how: string) => { if (h.endedAt === null) { h.endedAt = Date.now(); h.how = how; } };
    h.socket.on("error", (e: NodeJS.ErrnoException) => end(e.code ?? "error"));
    h.socket.on("close", () => end("closed"));
    held.push(h);
  };
  for (let i = 0; i < HELD_CONNECTIONS; i++) open();
  setInterval(() => { for (const h of held) if (h.endedAt === null && !h.socket.connecting) h.socket.write("ping\n"); }, CHAT_MS);

  // New connections: one attempt every 250 ms, each given 1 s, until one completes.
  let newConnectMs: number | null = null;
  let trying = false;
  const tryConnect = (startedAt: number) => {
    if (!trying) return;
    const s = createConnection({ host: serverAddress, port: PORTS.echo });
    const t = setTimeout(() => s.destroy(), 1000);
    s.on("connect", () => {
      if (trying) { trying = false; newConnectMs = Date.now() - startedAt; }
      clearTimeout(t);
      s.destroy();
    });
    s.on("error", () => clearTimeout(t));
    setTimeout(() => tryConnect(startedAt), 250);
  };

  commands((cmd) => {
    if (cmd.op === "connect") {
      newConnectMs = null;
      trying = true;
      tryConnect(Number(cmd.since ?? Date.now()));
      say({ ok: true });
    } else if (cmd.op === "status") {
      say({ sent: n, sendErrors, newConnectMs, trying, held: held.map((h) => ({ openedAt: h.openedAt, lastEchoAt: h.lastEchoAt, endedAt: h.endedAt, how: h.how })) });
    } else if (cmd.op === "upload") {
      // A bulk upload (a backup, a video call's sender) at `kbps` for `ms`: what fills a bloated queue.
      const bytesPerTick = Math.round(Number(cmd.kbps) * 1000 / 8 / 100);
      const chunk = Buffer.alloc(Math.min(1400, bytesPerTick));
      const per = Math.max(1, Math.round(bytesPerTick / chunk.length));
      const timer = setInterval(() => { for (let i = 0; i < per; i++) udp.send(chunk, PORTS.discard, serverAddress, () => {}); }, 10);
      setTimeout(() => clearInterval(timer), Number(cmd.ms));
      say({ ok: true });
    } else if (cmd.op === "reopen") {
      for (const h of held) h.socket.destroy();
      held.length = 0;
      for (let i = 0; i < HELD_CONNECTIONS; i++) open();
      say({ ok: true });
    }
  });
  say({ ready: true });
}

const [role, ...args] = process.argv.slice(2);
if (role === "server") void server(args[0], args[1].split(","), args[2].split(","), args[3]);
else if (role === "client") void client(args[0]);
else {
  process.stderr.write("usage: testbed-agent server ADDRESS RESOLVERS TCP_TARGETS DEVICE_ID | client SERVER\n");
  process.exit(2);
}
