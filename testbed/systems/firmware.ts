// The firmware as users would run it on Linux: the lin build of the device app (mcsim under
// xvfb-run, as the device test runs it) inside the router namespace, its uplinks the namespace's
// real interfaces (Preference "links" in the name:kind:dev:gateway form), reporting to the broker
// across the internet namespace. Its default configuration but for the links' tiers.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Bed } from "../bed";
import { DEVICE_ID } from "../bed";
import { ADDR } from "../topology";
import { LinApp } from "../../testing/device/lin-app";
import { deviceBuild, ensureTools, LIN_APP } from "../../testing/device/device-sdk";
import { waitFor, type RouteChange, type System } from "./system";

const BUILD_MS = 20 * 60 * 1000;

/**
 * From the first route to the fault: a router a few seconds up with a call flowing, as a site is
 * right after a power cut. Users' traffic is evidence from its first seconds; the baseline's RTT
 * estimate has only a handful of samples by then (it needs 16 to slow probing).
 */
export const FIRMWARE_SETTLE_MS = 8000;

export class Firmware implements System {
  readonly name = "firmware" as const;
  readonly parallelCases = false;
  readonly settleMs = FIRMWARE_SETTLE_MS;
  #mcsim = "";
  #lib = "";
  #app: LinApp | null = null;
  #startedAt = 0;

  constructor(private readonly root: string, private readonly work: string) {}

  get #prefs(): string { return join(this.root, LIN_APP.prefs); }

  async prepare(): Promise<void> {
    const tools = await ensureTools(this.root, BUILD_MS);
    if ("error" in tools) throw new Error(tools.error);
    const r = await deviceBuild(this.root, tools.dir, ["lin", "--out", join(this.root, LIN_APP.out), "--prefs-dir", this.#prefs, "--quiet"], BUILD_MS);
    const run = /run it headless: xvfb-run -a stdbuf -oL (\S+) (\S+)/.exec(r.output);
    if (!r.ok || !run) throw new Error(`device:build lin failed:\n${r.output.slice(-4000)}`);
    [, this.#mcsim, this.#lib] = run;
  }

  async start(bed: Bed): Promise<void> {
    // A unit fresh from provisioning: no queue, no config slots, no boot history from a last case.
    rmSync(this.#prefs, { recursive: true, force: true });
    mkdirSync(this.#prefs, { recursive: true });
    writeFileSync(join(this.#prefs, "modpreferences.json"), JSON.stringify({
      router: {
        id: DEVICE_ID, mqttHost: ADDR.server, mqttPort: "1883",
        links: `wan0:ethernet:wan0:${ADDR.wan0Gateway},lte0:lte:lte0:${ADDR.lte0Gateway}`,
        // The site's config as the fleet would have pushed it: Ethernet is the primary, LTE the
        // backup (unconfigured links share one tier, and a tie never fails back). All else default.
        cfg0: JSON.stringify({ version: 2, links: { wan0: { priority: 1 }, lte0: { priority: 2 } } }),
      },
    }));
    this.#app = new LinApp(this.#mcsim, this.#lib, join(this.work, "mcsim-config"), ["ip", "netns", "exec", bed.topology.ns.router]);
    this.#startedAt = Date.now();
    this.#app.start();
    await waitFor("firmware routing through wan0", () => this.#routes().some((c) => c.to === "wan0"), 60000, () => this.tail());
  }

  #routes(): RouteChange[] {
    const app = this.#app;
    if (!app) return [];
    const out: RouteChange[] = [];
    app.lines.forEach((l, i) => {
      const m = /default route: (\S+) via/.exec(l);
      if (m && app.times[i] >= this.#startedAt) out.push({ at: app.times[i], to: m[1] });
    });
    return out;
  }

  switches(): RouteChange[] {
    return this.#routes().slice(1);
  }

  tail(): string {
    const app = this.#app;
    if (!app) return "(not running)";
    return `${app.tail(Number(process.env.TESTBED_TRACE) > 1 ? 300 : 30)}\n(${app.running ? "running" : "exited"}; last line ${((Date.now() - (app.times.at(-1) ?? 0)) / 1000).toFixed(1)} s ago)`;
  }

  async stop(): Promise<void> {
    await this.#app?.kill();
    this.#app = null;
  }
}
