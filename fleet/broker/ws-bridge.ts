// MQTT over WebSockets for dashboards, in front of a broker's private socket. It exists because
// Mosquitto 2.0.11's websockets listener binds every interface whatever address it is given and
// cannot tie client ids to logins when many people watch with one login. The bridge:
//  - binds exactly the address it is given (ws:// on loopback, wss:// with the broker's certificate),
//  - lets a login use only the client id "<login>" or "<login>-<anything>", so no login can take
//    over a device's, the fleet's or another role's session,
//  - admits only the logins `allowLogin` accepts (dashboards) and browsers from allowed origins,
//  - caps frames and packets at the broker's max_packet_size,
//  - takes clean sessions only (a dashboard that left must not have the broker queue every event
//    for it), and at most `sessions.max` connections per login over all doors,
//  - throttles addresses that keep failing to log in.
// The broker behind it still checks every password and ACL.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import { connackAccepted, connackIdRejected, connackNotAuthorized, connackQuotaExceeded, PacketSizeGuard, readConnect } from "./mqtt-frames";
import { LoginThrottle } from "./login-throttle";

export interface BridgeOptions {
  host: string;
  port: number;
  /** wss:// when given. */
  tls?: { cert: string; key: string };
  /** A new connection to the broker for each client. */
  upstream: () => Socket;
  allowLogin: (username: string) => boolean;
  maxPacketSize: number;
  throttle: LoginThrottle;
  /** Seconds a client has to send its CONNECT. */
  connectTimeoutS?: number;
  /** Connections per login, shared by the doors. */
  sessions: SessionCap;
}

/** Live connections per login, bounded (one count for both WebSocket doors). */
export class SessionCap {
  #live = new Map<string, number>();
  constructor(readonly max: number) {}
  /** Take a place for `login`; false when it has `max` already. */
  take(login: string): boolean {
    const n = this.#live.get(login) ?? 0;
    if (n >= this.max) return false;
    this.#live.set(login, n + 1);
    return true;
  }
  release(login: string): void {
    const n = (this.#live.get(login) ?? 0) - 1;
    if (n > 0) this.#live.set(login, n); else this.#live.delete(login);
  }
}

/** Dashboards per login at once: enough for a control room, not for one caller holding the broker's memory. */
export const DEFAULT_SESSIONS_PER_LOGIN = 50;

const rawToBuffer = (d: RawData): Buffer => Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d);

export class WsBridge {
  readonly server: HttpServer;
  readonly wss: WebSocketServer;
  #clients = new Set<WebSocket>();
  #upstreams = new Set<Socket>();
  #origins: Set<string> | null = null;
  url = "";

  constructor(private readonly o: BridgeOptions) {
    const reject = (_req: IncomingMessage, res: { writeHead(c: number): void; end(s?: string): void }) => { res.writeHead(426); res.end("MQTT over WebSockets only\n"); };
    this.server = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: "TLSv1.2" }, reject) : createHttpServer(reject);
    this.wss = new WebSocketServer({
      server: this.server,
      // One frame holds at most a few packets; the broker's limit applies to each packet again below.
      maxPayload: 4 * o.maxPacketSize,
      handleProtocols: (offered) => offered.has("mqtt") ? "mqtt" : offered.has("mqttv3.1") ? "mqttv3.1" : false,
      verifyClient: ({ req, origin }, done) => {
        const addr = req.socket.remoteAddress ?? "?";
        if (this.o.throttle.blocked(addr, Date.now())) return done(false, 429, "too many failed logins; wait");
        // A web page elsewhere must not use a browser on the operator's desk to try logins here.
        if (origin && this.#origins && !this.#origins.has(origin)) return done(false, 403, "origin not allowed");
        done(true);
      },
    });
    this.wss.on("connection", (ws, req) => this.#accept(ws, req.socket.remoteAddress ?? "?"));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.o.port, this.o.host, () => { this.server.off("error", reject); resolve(); });
    });
    const port = (this.server.address() as { port: number }).port;
    const host = this.o.host.includes(":") ? `[${this.o.host}]` : this.o.host;
    this.url = `${this.o.tls ? "wss" : "ws"}://${host}:${port}`;
    return this.url;
  }

  /** Browsers from these origins only (clients that send no Origin header are not browsers). null: any. */
  allowOrigins(origins: readonly string[] | null): void {
    this.#origins = origins ? new Set(origins) : null;
  }

  #accept(ws: WebSocket, addr: string): void {
    this.#clients.add(ws);
    const guard = new PacketSizeGuard(this.o.maxPacketSize);
    let head = Buffer.alloc(0);
    let up: Socket | null = null;
    let level = 4;
    let verdictSeen = false;
    let holds: string | null = null;
    const close = () => {
      clearTimeout(timer);
      if (holds !== null) { this.o.sessions.release(holds); holds = null; }
      if (up) { up.destroy(); this.#upstreams.delete(up); }
      this.#clients.delete(ws);
      ws.terminate();
    };
    const refuse = (connack: Buffer | null) => {
      if (connack && ws.readyState === ws.OPEN) ws.send(connack, () => close());
      else close();
    };
    const timer = setTimeout(() => { if (!up) close(); }, (this.o.connectTimeoutS ?? 10) * 1000);
    ws.on("close", close);
    ws.on("error", close);
    ws.on("message", (data) => {
      const chunk = rawToBuffer(data);
      if (guard.check(chunk)) return close();
      if (up) {
        // Backpressure: a slow broker socket pauses reading from the browser.
        if (!up.write(chunk)) { ws.pause(); up.once("drain", () => ws.resume()); }
        return;
      }
      head = Buffer.concat([head, chunk]);
      const c = readConnect(head);
      if (c.state === "incomplete") return;
      if (c.state === "bad") return close();
      level = c.level;
      if (c.username === null || !this.o.allowLogin(c.username)) {
        this.o.throttle.failed(addr, Date.now());
        return refuse(connackNotAuthorized(level));
      }
      if (c.clientId !== c.username && !c.clientId.startsWith(c.username + "-")) return refuse(connackIdRejected(level));
      if (c.persistent) return refuse(connackNotAuthorized(level));
      if (!this.o.sessions.take(c.username)) return refuse(connackQuotaExceeded(level));
      holds = c.username;
      up = this.o.upstream();
      this.#upstreams.add(up);
      clearTimeout(timer);
      up.on("data", (d: Buffer) => {
        if (!verdictSeen) {
          const ok = connackAccepted(d);
          if (ok !== null) {
            verdictSeen = true;
            if (ok) this.o.throttle.succeeded(addr);
            else this.o.throttle.failed(addr, Date.now());
          }
        }
        // Backpressure the other way: a slow browser pauses reading from the broker.
        ws.send(d, () => { if (up?.isPaused() && ws.bufferedAmount < 1 << 18) up.resume(); });
        if (ws.bufferedAmount > 1 << 20) up?.pause();
      });
      up.on("close", close);
      up.on("error", close);
      up.write(head);
      head = Buffer.alloc(0);
    });
  }

  /** Drop every client (the broker went away, or we are stopping). */
  dropAll(): void {
    for (const ws of this.#clients) ws.terminate();
    for (const s of this.#upstreams) s.destroy();
    this.#clients.clear();
    this.#upstreams.clear();
  }

  async close(): Promise<void> {
    this.dropAll();
    this.wss.close();
    await new Promise<void>((r) => { this.server.closeAllConnections?.(); this.server.close(() => r()); });
  }
}
