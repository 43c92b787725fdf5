// A broker for a test or the demo: Mosquitto from the system (the real part), or the embedded
// aedes broker when Mosquitto is not installed (a newcomer's machine). Both listen on free
// loopback ports, MQTT and MQTT over WebSockets, with the repo's ACL and per-device credentials.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitForPort } from "./free-port";
import { allIdentities, type FleetCredentials } from "./credentials";
import { EmbeddedBroker } from "./embedded";

export const REPO = fileURLToPath(new URL(import.meta.url.includes("/dist/tests/") ? "../../" : "../", import.meta.url));
export const ACL_FILE = join(REPO, "broker/acl");

export interface Broker {
  kind: "mosquitto" | "embedded";
  version: string;
  url: string;
  wsUrl: string;
  port: number;
  wsPort: number;
  /** Die at once, no goodbye to anyone (kill -9). */
  kill(): Promise<void>;
  /** Come back on the same ports with the same persistent state. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function mosquittoPath(): string | null {
  for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"]) {
    if (existsSync(p)) return p;
  }
  return null;
}

class Mosquitto implements Broker {
  kind = "mosquitto" as const;
  version = "";
  url = "";
  wsUrl = "";
  port = 0;
  wsPort = 0;
  #dir = "";
  #conf = "";
  #proc: ChildProcess | null = null;

  constructor(private readonly bin: string) {}

  async start(creds: FleetCredentials): Promise<void> {
    this.#dir = mkdtempSync(join(tmpdir(), "mosquitto-"));
    this.port = await freePort();
    this.wsPort = await freePort();
    const conf = readFileSync(join(REPO, "broker/mosquitto.conf"), "utf8")
      .replaceAll("{{DIR}}", this.#dir).replaceAll("{{ACL}}", ACL_FILE).replaceAll("{{USER}}", userInfo().username)
      .replaceAll("{{PORT}}", String(this.port)).replaceAll("{{WS_PORT}}", String(this.wsPort));
    this.#conf = join(this.#dir, "mosquitto.conf");
    writeFileSync(this.#conf, conf);
    const passwd = join(this.#dir, "passwd");
    writeFileSync(passwd, allIdentities(creds).map((i) => `${i.username}:${i.password}`).join("\n") + "\n");
    const r = spawnSync("mosquitto_passwd", ["-U", passwd], { encoding: "utf8" });
    if (r.status !== 0) throw new Error("mosquitto_passwd -U failed: " + (r.stderr || r.error?.message));
    const v = spawnSync(this.bin, ["-h"], { encoding: "utf8" });
    this.version = (/mosquitto version (\S+)/.exec(v.stdout + v.stderr) ?? [])[1] ?? "?";
    this.url = `mqtt://127.0.0.1:${this.port}`;
    this.wsUrl = `ws://127.0.0.1:${this.wsPort}`;
    await this.#spawn();
  }

  async #spawn(): Promise<void> {
    this.#proc = spawn(this.bin, ["-c", this.#conf], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    this.#proc.stderr?.on("data", (d) => { err += d; });
    try {
      await waitForPort(this.port);
      await waitForPort(this.wsPort);
    } catch (e) {
      const log = existsSync(join(this.#dir, "mosquitto.log")) ? readFileSync(join(this.#dir, "mosquitto.log"), "utf8") : "";
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
    const p = this.#proc;
    this.#proc = null;
    if (p && p.exitCode === null) await new Promise<void>((resolve) => { p.once("exit", () => resolve()); p.kill("SIGTERM"); });
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Start a broker for this fleet. With CI=true, Mosquitto is required: a missing binary fails the
 * run rather than quietly testing something else.
 */
export async function startBroker(creds: FleetCredentials, prefer: "mosquitto" | "embedded" = "mosquitto"): Promise<Broker> {
  const bin = mosquittoPath();
  if (prefer === "mosquitto" && bin) {
    const m = new Mosquitto(bin);
    await m.start(creds);
    return m;
  }
  if (prefer === "mosquitto" && process.env.CI === "true") {
    throw new Error("CI=true but mosquitto is not installed (apt-get install mosquitto): broker tests must run on the real broker");
  }
  const e = new EmbeddedBroker(creds, ACL_FILE);
  await e.start();
  return e;
}
