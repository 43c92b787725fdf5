// pfSense's link monitor beside the firmware: one dpinger per uplink with pfSense's defaults,
// built from ../shared/peers/dpinger into a temporary directory at run time, and the gateway
// group's switch on its alarm callback (gateway-group.sh). Each instance pings 1.1.1.1 from its
// uplink's address (-B); the same per-uplink source routing as the firmware's keeps each on its
// uplink.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Bed } from "../bed";
import { NsProcess } from "../agent-process";
import { ADDR } from "../topology";
import { inNs, sh } from "../ns";
import { waitFor, type RouteChange, type System } from "./system";

/** pfSense's per-gateway dpinger arguments (see ../shared/peers/README-shared.md). */
const PFSENSE = ["-s", "500m", "-l", "2000m", "-t", "60s", "-A", "1s", "-D", "500m", "-L", "20", "-d", "1"];
const MONITOR = "1.1.1.1";

export class Dpinger implements System {
  readonly name = "dpinger" as const;
  /** Its 60 s window full (-t 60s), plus its 2 s loss interval. */
  readonly parallelCases = true;
  readonly settleMs = 62000;
  #bin = "";
  #procs: NsProcess[] = [];
  #state = "";
  #startedAt = 0;

  constructor(private readonly root: string, private readonly work: string) {}

  async prepare(): Promise<void> {
    const src = resolve(this.root, "../shared/peers/dpinger/dpinger.c");
    if (!existsSync(src)) throw new Error(`${src} not found (the peers live beside the repository)`);
    mkdirSync(this.work, { recursive: true });
    this.#bin = join(this.work, "dpinger");
    sh("cc", ["-O2", "-o", this.#bin, src]);
  }

  async start(bed: Bed): Promise<void> {
    const r = bed.topology.ns.router;
    this.#state = join(this.work, "state");
    rmSync(this.#state, { recursive: true, force: true });
    mkdirSync(this.#state, { recursive: true });
    const links = [
      { dev: "wan0", address: ADDR.wan0, gateway: ADDR.wan0Gateway, table: "101" },
      { dev: "lte0", address: ADDR.lte0, gateway: ADDR.lte0Gateway, table: "102" },
    ];
    for (const l of links) {
      writeFileSync(join(this.#state, `gateway-${l.dev}`), l.gateway);
      inNs(r, "ip", ["route", "replace", "default", "via", l.gateway, "dev", l.dev, "table", l.table]);
      inNs(r, "ip", ["rule", "add", "from", l.address, "lookup", l.table, "pref", String(1000 + Number(l.table))]);
    }
    // pfSense boots onto its first tier.
    inNs(r, "ip", ["route", "replace", "default", "via", ADDR.wan0Gateway, "dev", "wan0"]);
    writeFileSync(join(this.#state, "active"), "wan0");
    this.#startedAt = Date.now();
    const script = resolve(this.root, "testbed/systems/gateway-group.sh");
    for (const l of links) {
      this.#procs.push(new NsProcess(r, [this.#bin, "-f", "-B", l.address, ...PFSENSE, "-C", `sh ${script} ${this.#state} ${l.dev}`, MONITOR]));
    }
    await waitFor("dpinger running", () => this.#procs.every((p) => p.proc.pid !== undefined && p.proc.exitCode === null), 5000, () => this.tail());
    await new Promise((res) => setTimeout(res, 3000));
    if (this.#procs.some((p) => p.proc.exitCode !== null)) throw new Error(`dpinger exited:\n${this.tail()}`);
  }

  switches(): RouteChange[] {
    let text = "";
    try { text = readFileSync(join(this.#state, "switches"), "utf8"); } catch { return []; }
    return text.split("\n").filter(Boolean).map((l) => {
      const [at, to] = l.split(" ");
      return { at: Number(at), to };
    }).filter((c) => c.at >= this.#startedAt);
  }

  tail(): string {
    return this.#procs.map((p) => p.output.slice(-10).join("\n")).join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.#procs.map((p) => p.stop()));
    this.#procs = [];
  }
}
