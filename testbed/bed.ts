// One testbed: the namespaces, the internet's server and broker, and the LAN's user, ready for a
// system (the firmware, or dpinger) to route between them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NsProcess } from "./agent-process";
import { ADDR, create, destroy, type Topology } from "./topology";
import { inNs } from "./ns";
import { mosquittoPath } from "../fleet/broker/broker";

export const DEVICE_ID = "testbed-router";
/** Node starting and loading its packages, on a machine that may be compiling the firmware. */
const STARTUP_MS = 60000;

export interface Arrivals { at: number[]; seq: number[]; from: string[] }
export interface BrokerEvent { at: number; type: string; from?: string | null; to?: string; reason?: string }
export interface ClientStatus {
  sent: number;
  newConnectMs: number | null;
  held: Array<{ openedAt: number; lastEchoAt: number; endedAt: number | null; how: string | null }>;
}

export class Bed {
  readonly topology: Topology;
  readonly dir: string;
  server: NsProcess | null = null;
  broker: NsProcess | null = null;
  client: NsProcess | null = null;

  private constructor(id: string, readonly agent: string) {
    this.dir = mkdtempSync(join(tmpdir(), `testbed${id}-`));
    this.topology = create(id);
  }

  static async start(id: string, agent: string): Promise<Bed> {
    const bed = new Bed(id, agent);
    try {
      await bed.#startInternet();
      return bed;
    } catch (e) {
      await bed.close();
      throw e;
    }
  }

  async #startInternet(): Promise<void> {
    const conf = join(this.dir, "mosquitto.conf");
    // The broker the router reports to, on the far side of its uplinks; nothing else reaches this
    // namespace, so it takes anonymous logins (the fleet's logins and TLS are tested elsewhere).
    writeFileSync(conf, `listener 1883 ${ADDR.server}\nallow_anonymous true\npersistence false\nuser root\n`);
    const bin = mosquittoPath();
    if (!bin) throw new Error("mosquitto not installed");
    this.broker = new NsProcess(this.topology.ns.inet, [bin, "-c", conf]);
    const resolvers = [ADDR.targets[1], ADDR.targets[3]];
    const tcpTargets = [ADDR.targets[2]];
    this.server = new NsProcess(this.topology.ns.inet, [process.execPath, this.agent, "server", ADDR.server, resolvers.join(","), tcpTargets.join(","), DEVICE_ID]);
    await this.server.next(STARTUP_MS);
  }

  /** A fresh user on the LAN (new flows, new connections). */
  async startClient(): Promise<void> {
    await this.client?.stop();
    this.client = new NsProcess(this.topology.ns.lan, [process.execPath, this.agent, "client", ADDR.server]);
    await this.client.next(STARTUP_MS);
  }

  arrivals(since: number): Promise<Arrivals> {
    return this.server!.ask<{ stream: Arrivals }>({ op: "stream", since }).then((r) => r.stream);
  }

  events(): Promise<{ events: BrokerEvent[]; births: number; mqtt: boolean }> {
    return this.server!.ask({ op: "events" });
  }

  resetServer(): Promise<unknown> {
    return this.server!.ask({ op: "reset" });
  }

  clientStatus(): Promise<ClientStatus> {
    return this.client!.ask({ op: "status" });
  }

  /** Between cases: no default route, no per-uplink rules, no NAT state, nothing left of a fault. */
  resetRouter(): void {
    const r = this.topology.ns.router;
    inNs(r, "ip", ["route", "flush", "default"], { allowFail: true });
    for (const table of ["101", "102", "103"]) {
      inNs(r, "ip", ["route", "flush", "table", table], { allowFail: true });
      inNs(r, "ip", ["rule", "del", "pref", String(1000 + Number(table))], { allowFail: true });
    }
    inNs(r, "conntrack", ["-F"], { allowFail: true });
  }

  async close(): Promise<void> {
    await Promise.all([this.client?.stop(), this.server?.stop(), this.broker?.stop()]);
    destroy(this.topology);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
