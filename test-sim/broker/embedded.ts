// The embedded broker: aedes in this process, MQTT on TCP and over WebSockets. It is the
// zero-install default of `npm start` and the fallback for tests on a machine without Mosquitto.
// With credentials it enforces the same rules as Mosquitto: broker/acl, and client id = username.
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { Aedes } from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";
import { allowed, loadAcl } from "./acl";
import { freePort } from "./free-port";
import { allIdentities, type FleetCredentials } from "./credentials";
import type { Broker } from "./broker";

export class EmbeddedBroker implements Broker {
  readonly kind = "embedded";
  readonly version: string;
  url = "";
  wsUrl = "";
  port = 0;
  wsPort = 0;
  #aedes: Aedes | null = null;
  #tcp: Server | null = null;
  #http: HttpServer | null = null;
  #wss: WebSocketServer | null = null;
  #sockets = new Set<{ destroy(): void }>();

  /** Without credentials anyone may connect and publish anything (the local demo). */
  constructor(private readonly creds: FleetCredentials | null, private readonly aclFile: string) {
    // aedes' exports hide its package.json; its main file sits beside it.
    const main = createRequire(import.meta.url).resolve("aedes");
    this.version = "aedes " + (JSON.parse(readFileSync(join(dirname(main), "package.json"), "utf8")) as { version: string }).version;
  }

  async start(port = 0, wsPort = 0): Promise<void> {
    this.port = port || await freePort();
    this.wsPort = wsPort || await freePort();
    this.url = `mqtt://127.0.0.1:${this.port}`;
    this.wsUrl = `ws://127.0.0.1:${this.wsPort}`;
    const aedes = await Aedes.createBroker();
    this.#aedes = aedes;
    if (this.creds) this.#secure(aedes, this.creds);
    await this.#listen();
  }

  #secure(aedes: Aedes, creds: FleetCredentials): void {
    const rules = loadAcl(this.aclFile);
    const passwords = new Map(allIdentities(creds).map((i) => [i.username, i.password]));
    const users = new WeakMap<object, string>();
    aedes.authenticate = (client, username, password, done) => {
      // As Mosquitto's TCP listener (use_username_as_clientid): the client id is the login, except
      // for read-only dashboards, which may open many pages.
      const idOk = client.id === username || (username === creds.dashboard.username && client.id.startsWith(username + "-"));
      const ok = username !== undefined && passwords.get(username) === password?.toString() && idOk;
      if (ok) users.set(client, username);
      done(null, ok);
    };
    aedes.authorizePublish = (client, packet, done) => {
      // Mosquitto drops a publish the ACL denies; closing the connection is aedes' way (both allowed).
      if (client && !allowed(rules, users.get(client) ?? "", packet.topic, "write")) return done(new Error("not authorized"));
      done(null);
    };
    aedes.authorizeSubscribe = (client, sub, done) => {
      done(null, allowed(rules, users.get(client) ?? "", sub.topic, "read") ? sub : null);
    };
  }

  async #listen(): Promise<void> {
    const aedes = this.#aedes as Aedes;
    this.#tcp = createTcpServer((socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      aedes.handle(socket);
    });
    this.#http = createHttpServer();
    this.#wss = new WebSocketServer({ server: this.#http });
    this.#wss.on("connection", (ws, req) => {
      this.#sockets.add(ws as unknown as { destroy(): void });
      ws.on("close", () => this.#sockets.delete(ws as unknown as { destroy(): void }));
      aedes.handle(createWebSocketStream(ws), req);
    });
    await new Promise<void>((r) => (this.#tcp as Server).listen(this.port, "127.0.0.1", () => r()));
    await new Promise<void>((r) => (this.#http as HttpServer).listen(this.wsPort, "127.0.0.1", () => r()));
  }

  async kill(): Promise<void> {
    for (const s of this.#sockets) (s as { terminate?: () => void; destroy(): void }).terminate?.() ?? s.destroy();
    this.#sockets.clear();
    await new Promise<void>((r) => (this.#tcp ? this.#tcp.close(() => r()) : r()));
    this.#wss?.close();
    await new Promise<void>((r) => (this.#http ? this.#http.close(() => r()) : r()));
    this.#tcp = this.#http = null;
  }

  /** Retained messages survive (the aedes instance, its memory, stays), as with Mosquitto's persistence. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#listen();
  }

  async stop(): Promise<void> {
    await this.kill();
    await new Promise<void>((r) => (this.#aedes ? this.#aedes.close(() => r()) : r()));
  }
}
