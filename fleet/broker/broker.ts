// A broker for a test or the demo: Mosquitto from the system (the real part), or the embedded
// aedes broker when Mosquitto is not installed (a newcomer's machine). Both offer the same doors:
//   tlsUrl  mqtts://HOST   client certificates from the fleet's CA (the production path)
//   wssUrl  wss://HOST     dashboards, password over TLS (through the WebSocket bridge)
//   url     mqtt://127.0.0.1  passwords, loopback only (development)
//   wsUrl   ws://127.0.0.1    dashboards, loopback only (development)
// with the repo's ACL (rendered per fleet), client id = login on every door, and the size limits
// of broker/mosquitto.conf. HOST is loopback unless asked otherwise; off loopback only TLS listens.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./free-port";
import { allIdentities, type FleetCredentials } from "./credentials";
import { EmbeddedBroker } from "./embedded";
import { PrivateDir } from "./private-dir";
import { brokerAcl } from "./acl";
import { MOSQUITTO_CONF } from "./limits";
import type { Broker, BrokerOptions } from "./broker-contract";
import { BrokerDoors, serverNames } from "./bridges";
import { cleanupOnExit } from "./exit-cleanup";
import { REPO_ROOT as REPO } from "../paths";

export { REPO };

export type { Broker, BrokerOptions };

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p)) ?? null;

export function mosquittoPath(): string | null {
  for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"]) {
    if (existsSync(p)) return p;
  }
  return null;
}

class Mosquitto extends BrokerDoors implements Broker {
  kind = "mosquitto" as const;
  version = "";
  #dir: PrivateDir | null = null;
  #conf = "";
  #proc: ChildProcess | null = null;
  #unregister: () => void = () => {};

  constructor(private readonly bin: string) {
    super();
  }

  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  async start(creds: FleetCredentials, o: BrokerOptions): Promise<void> {
    const dir = new PrivateDir("mosquitto-");
    this.#dir = dir;
    this.#unregister = cleanupOnExit(() => { this.#proc?.kill("SIGKILL"); });
    this.host = o.host ?? "127.0.0.1";
    this.port = await freePort();
    this.tlsPort = await freePort();
    const server = creds.pki.issue("broker", { kind: "server", names: serverNames(this.host) });
    this.caPem = creds.pki.caPem;
    dir.write("ca.pem", creds.pki.caPem);
    dir.write("server.pem", server.certPem);
    dir.write("server.key", server.keyPem);
    if (o.crlPem) dir.write("crl.pem", o.crlPem);
    dir.write("acl", brokerAcl(creds));
    const line = (i: { username: string; password: string }) => `${i.username}:${i.password}\n`;
    const hashed = (name: string, text: string) => {
      const file = dir.write(name, text);
      const r = spawnSync("mosquitto_passwd", ["-U", file], { encoding: "utf8" });
      if (r.status !== 0) throw new Error("mosquitto_passwd -U failed: " + (r.stderr || r.error?.message));
    };
    hashed("passwd", allIdentities(creds).map(line).join(""));
    hashed("passwd-dashboards", line(creds.dashboard));
    const conf = readFileSync(MOSQUITTO_CONF, "utf8")
      .replaceAll("{{DIR}}", dir.path).replaceAll("{{USER}}", userInfo().username).replaceAll("{{HOST}}", this.host)
      .replaceAll("{{PORT}}", String(this.port)).replaceAll("{{TLS_PORT}}", String(this.tlsPort))
      // A revocation list goes with the TLS listener's certificates.
      .replace(`keyfile ${dir.path}/server.key`, (l) => (o.crlPem ? `${l}\ncrlfile ${dir.path}/crl.pem` : l));
    this.#conf = dir.write("mosquitto.conf", conf);
    const v = spawnSync(this.bin, ["-h"], { encoding: "utf8" });
    this.version = (/mosquitto version (\S+)/.exec(v.stdout + v.stderr) ?? [])[1] ?? "?";
    await this.#spawn();
    await this.openBridges({ socketPath: join(dir.path, "dashboards.sock"), creds, cert: { cert: server.certPem, key: server.keyPem }, throttle: o.throttle,
      maxSessionsPerLogin: o.maxSessionsPerLogin });
  }

  async #spawn(): Promise<void> {
    const dir = this.#dir as PrivateDir;
    // Mosquitto dies with us even when we cannot clean up (SIGKILL, a crash): util-linux's setpriv
    // sets the kernel's parent-death signal, then runs Mosquitto in its place (same pid).
    const args = ["-c", this.#conf];
    this.#proc = SETPRIV
      ? spawn(SETPRIV, ["--pdeathsig", "SIGKILL", "--", this.bin, ...args], { stdio: ["ignore", "ignore", "pipe"] })
      : spawn(this.bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    this.#proc.stderr?.on("data", (d) => { err += d; });
    try {
      await waitForPort(this.port);
      // A wildcard bind answers on loopback too; a specific address only there.
      await waitForPort(this.tlsPort, 10000, this.host === "0.0.0.0" ? "127.0.0.1" : this.host === "::" ? "::1" : this.host);
      for (let i = 0; i < 200 && !existsSync(join(dir.path, "dashboards.sock")); i++) await new Promise((r) => setTimeout(r, 25));
    } catch (e) {
      const log = existsSync(join(dir.path, "mosquitto.log")) ? readFileSync(join(dir.path, "mosquitto.log"), "utf8") : "";
      this.#proc.kill("SIGKILL");
      throw new Error(`mosquitto did not start: ${(e as Error).message}\n${err}\n${log}`);
    }
  }

  async kill(): Promise<void> {
    const p = this.#proc;
    this.#proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => { p.once("exit", () => resolve()); p.kill("SIGKILL"); });
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  async stop(): Promise<void> {
    await this.closeBridges();
    const p = this.#proc;
    this.#proc = null;
    if (p && p.exitCode === null) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => p.kill("SIGKILL"), 5000);
        p.once("exit", () => { clearTimeout(force); resolve(); });
        p.kill("SIGTERM");
      });
    }
    this.#dir?.remove();
    this.#unregister();
  }
}

/**
 * Start a broker for this fleet. With CI=true, Mosquitto is required: a missing binary fails the
 * run rather than quietly testing something else.
 */
export async function startBroker(creds: FleetCredentials, prefer: "mosquitto" | "embedded" = "mosquitto", o: BrokerOptions = {}): Promise<Broker> {
  const bin = mosquittoPath();
  if (prefer === "mosquitto" && bin) {
    const m = new Mosquitto(bin);
    try {
      await m.start(creds, o);
    } catch (e) {
      await m.stop().catch(() => {});
      throw e;
    }
    return m;
  }
  if (prefer === "mosquitto" && process.env.CI === "true") {
    throw new Error("CI=true but mosquitto is not installed (apt-get install mosquitto): broker tests must run on the real broker");
  }
  const e = new EmbeddedBroker(creds, o);
  await e.start();
  return e;
}
