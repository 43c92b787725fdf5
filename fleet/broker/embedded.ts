// The embedded broker: aedes in this process. It is the zero-install default of `npm start` and the
// fallback for tests on a machine without Mosquitto, and it keeps Mosquitto's rules as configured
// in broker/: the rendered ACL, client id = login (dashboards: "<login>-..."), certificates on the
// TLS door (CN = login), passwords on loopback, dashboards through the same WebSocket bridge, and
// max_packet_size (a bigger packet closes the connection before aedes reads it). Not kept: the
// per-client queue limits (aedes' in-memory persistence has none); production runs Mosquitto.
// Added: each device's publish rate (publish-rate.ts), which Mosquitto has no option for.
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { Duplex } from "node:stream";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { Aedes } from "aedes";
import { allowed, brokerAcl, parseAcl } from "./acl";
import { freePort } from "./free-port";
import { allIdentities, type FleetCredentials } from "./credentials";
import type { Broker, BrokerOptions } from "./broker-contract";
import { BrokerDoors, serverNames } from "./bridges";
import { brokerLimits } from "./limits";
import { PacketSizeGuard } from "./mqtt-frames";
import { PrivateDir } from "./private-dir";
import { PublishRates } from "./publish-rate";

type Door = "plain" | "tls" | "dashboards";

/** A socket as aedes sees it, with every packet's announced size checked before aedes parses it. */
class GuardedConn extends Duplex {
  constructor(readonly socket: Socket, readonly door: Door, maxPacket: number) {
    super();
    const guard = new PacketSizeGuard(maxPacket);
    socket.on("data", (d: Buffer) => {
      if (guard.check(d)) return void socket.destroy();
      if (!this.push(d)) socket.pause();
    });
    socket.on("end", () => this.push(null));
    socket.on("close", () => this.destroy());
    socket.on("error", () => this.destroy());
  }

  override _read(): void { this.socket.resume(); }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void { this.socket.write(chunk, cb); }
  override _final(cb: () => void): void { this.socket.end(); cb(); }
  override _destroy(err: Error | null, cb: (e: Error | null) => void): void { this.socket.destroy(); cb(err); }
}

export class EmbeddedBroker extends BrokerDoors implements Broker {
  readonly kind = "embedded";
  readonly version: string;
  readonly pid = null;
  #aedes: Aedes | null = null;
  #servers: Array<Server | TlsServer> = [];
  #sockets = new Set<Socket>();
  #dir: PrivateDir | null = null;
  #server: { certPem: string; keyPem: string } | null = null;
  /** Each device login's publish rate: what was dropped, who was disconnected. */
  readonly publishRates: PublishRates;

  constructor(private readonly creds: FleetCredentials, private readonly o: BrokerOptions = {}) {
    super(o.host);
    this.publishRates = new PublishRates(o.devicePublish);
    // aedes' exports hide its package.json; its main file sits beside it.
    const main = createRequire(import.meta.url).resolve("aedes");
    this.version = "aedes " + (JSON.parse(readFileSync(join(dirname(main), "package.json"), "utf8")) as { version: string }).version;
  }

  get #socketPath(): string {
    return join((this.#dir as PrivateDir).path, "dashboards.sock");
  }

  async start(): Promise<void> {
    const dir = new PrivateDir("aedes-");
    this.#dir = dir;
    this.port = await freePort();
    this.tlsPort = await freePort();
    this.#server = this.creds.pki.issue("broker", { kind: "server", names: serverNames(this.host) });
    this.caPem = this.creds.pki.caPem;
    const aedes = await Aedes.createBroker();
    this.#aedes = aedes;
    this.#secure(aedes, this.creds);
    await this.#listen();
    await this.openBridges({ socketPath: this.#socketPath, creds: this.creds,
      cert: { cert: this.#server.certPem, key: this.#server.keyPem }, throttle: this.o.throttle, maxSessionsPerLogin: this.o.maxSessionsPerLogin });
  }

  #secure(aedes: Aedes, creds: FleetCredentials): void {
    const rules = parseAcl(brokerAcl(creds));
    const passwords = new Map(allIdentities(creds).map((i) => [i.username, i.password]));
    const users = new WeakMap<object, string>();
    aedes.authenticate = (client, username, password, done) => {
      const conn = client.conn as unknown as GuardedConn;
      let user: string | undefined;
      if (conn.door === "tls") {
        // As Mosquitto's use_identity_as_username: the certificate names the login; no password.
        const tls = conn.socket as TLSSocket;
        const cn = tls.authorized ? tls.getPeerCertificate().subject?.CN : undefined;
        user = typeof cn === "string" ? cn : undefined;
      } else if (username !== undefined && passwords.get(username) === password?.toString()) {
        user = username;
      }
      if (conn.door === "dashboards" && user !== creds.dashboard.username) user = undefined;
      // As use_username_as_clientid (aedes cannot rewrite the id, so a different one is refused);
      // dashboards may open many pages, each "<login>-<random>".
      const idOk = user !== undefined && (client.id === user || (user === creds.dashboard.username && client.id.startsWith(user + "-")));
      if (user !== undefined && idOk) users.set(client, user);
      done(null, user !== undefined && idOk);
    };
    aedes.authorizePublish = (client, packet, done) => {
      // Mosquitto drops a publish the ACL denies; closing the connection is aedes' way (both allowed).
      if (client && !allowed(rules, users.get(client) ?? "", packet.topic, "write")) return done(new Error("not authorized"));
      done(null);
    };
    aedes.authorizeSubscribe = (client, sub, done) => {
      done(null, allowed(rules, users.get(client) ?? "", sub.topic, "read") ? sub : null);
    };
    // Every publish from a client goes through aedes.publish once authorised (QoS 1 after its
    // PUBACK): a device login's publishes spend its bucket there. Its will is the broker's doing.
    const devices = new Set(creds.devices.keys());
    // (aedes' typings leave out the client argument that its handlers pass.)
    type Publish = (packet: unknown, client: unknown, done?: (e?: Error) => void) => void;
    const a = aedes as unknown as { publish: Publish };
    const publish = a.publish.bind(aedes);
    a.publish = (packet, client, done) => {
      const c = client as { will?: unknown; close?: () => void } | null;
      const login = c && typeof c === "object" ? users.get(c) : undefined;
      if (login !== undefined && devices.has(login) && packet !== c?.will) {
        const verdict = this.publishRates.take(login);
        if (verdict !== "pass") {
          if (verdict === "disconnect") setImmediate(() => c?.close?.());
          return done?.();
        }
      }
      return publish(packet, client, done);
    };
  }

  async #listen(): Promise<void> {
    const aedes = this.#aedes as Aedes;
    const max = brokerLimits().maxPacketSize;
    const handle = (door: Door) => (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      socket.on("error", () => {});
      aedes.handle(new GuardedConn(socket, door, max) as unknown as Parameters<Aedes["handle"]>[0]);
    };
    const cert = this.#server as { certPem: string; keyPem: string };
    const plain = createTcpServer(handle("plain"));
    const tls = createTlsServer({ cert: cert.certPem, key: cert.keyPem, ca: this.caPem, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2",
      ...(this.o.crlPem ? { crl: this.o.crlPem } : {}) });
    tls.on("secureConnection", handle("tls"));
    tls.on("tlsClientError", () => {});
    const dash = createTcpServer(handle("dashboards"));
    const listen = (s: Server | TlsServer, ...args: unknown[]) => new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      (s.listen as (...a: unknown[]) => void)(...args, () => { s.off("error", reject); resolve(); });
    });
    await listen(plain, this.port, "127.0.0.1");
    await listen(tls, this.tlsPort, this.host);
    await listen(dash, this.#socketPath);
    this.#servers = [plain, tls, dash];
  }

  async kill(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.bridges?.ws.dropAll();
    this.bridges?.wss.dropAll();
    await Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.#servers = [];
  }

  /** Retained messages survive (the aedes instance, its memory, stays), as with Mosquitto's persistence. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#listen();
  }

  async stop(): Promise<void> {
    await this.closeBridges();
    await this.kill();
    await new Promise<void>((r) => (this.#aedes ? this.#aedes.close(() => r()) : r()));
    this.#aedes = null;
    this.#dir?.remove();
  }
}
