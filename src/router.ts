// The control plane, assembled: boot guard -> config -> one monitor per uplink -> failover
// controller -> supervisor -> telemetry. Hosts (hardware/main.ts, the simulator) build the ports and
// call start(); nothing here knows which host it runs on.
import type { Ports } from "./ports";
import type { DeviceConfig } from "./config/config";
import { loadBootConfig, peekBootLoopCount } from "./config/boot-config";
import { countBoot, markStable } from "./watchdog/boot-guard";
import { LinkMonitor } from "./health/link-monitor";
import { SocketBudget } from "./health/socket-budget";
import { FailoverController } from "./failover/controller";
import { Supervisor } from "./watchdog/supervisor";
import { EventLog, type RouterEvent } from "./telemetry/events";
import { Telemetry, type LinkReport } from "./telemetry/telemetry";

export const FIRMWARE_VERSION = "0.1.0";

export interface RouterOptions {
  deviceId: string;
}

export class Router {
  readonly events: EventLog;
  readonly cfg: DeviceConfig;
  readonly safeMode: boolean;
  readonly boots: number;
  readonly monitors: LinkMonitor[];
  readonly controller: FailoverController;
  readonly supervisor: Supervisor;
  readonly telemetry: Telemetry;
  readonly budget: SocketBudget;
  #ports: Ports;
  #configJson: string | null;
  #configRejected: string | null;
  #configSource: string;

  constructor(ports: Ports, options: RouterOptions) {
    this.#ports = ports;
    const { clock, store, uplinks } = ports;
    this.events = new EventLog(() => clock.now());
    const boot = countBoot(store, peekBootLoopCount(store));
    this.boots = boot.boots;
    this.safeMode = boot.safeMode;
    const bc = loadBootConfig(store, boot.safeMode);
    this.cfg = bc.cfg;
    this.#configJson = bc.json;
    this.#configRejected = bc.rejected;
    this.#configSource = bc.source;

    this.budget = new SocketBudget(this.cfg.probe.maxInFlight);
    this.monitors = uplinks.list().map((l) => new LinkMonitor({
      link: l.name, cfg: this.cfg, clock, prober: ports.prober, budget: this.budget, carrier: uplinks.carrier(l.name),
      onStep: (m, from, step) => {
        this.events.emit({ type: "link-state", link: m.link, from, to: step.to, reason: step.transition });
        this.controller.linkChanged(m.link, from, step.to, step.transition);
      },
    }));
    this.controller = new FailoverController(this.cfg, this.monitors, uplinks, this.events, () => clock.now());
    this.telemetry = new Telemetry({
      deviceId: options.deviceId, firmware: FIRMWARE_VERSION, cfg: this.cfg, clock, random: ports.random,
      mqtt: ports.mqtt, events: this.events, safeMode: this.safeMode, boots: this.boots,
      links: () => this.linkReports(), active: () => this.controller.active,
    });
    this.supervisor = new Supervisor({
      cfg: this.cfg, clock, hw: ports.watchdog, uplinks, monitors: this.monitors, controller: this.controller,
      events: this.events, onStable: () => markStable(store, this.safeMode ? null : this.#configJson),
    });
    uplinks.onCarrier((link, up) => this.monitors.find((m) => m.link === link)?.setCarrier(up));
  }

  onEvent(fn: (e: RouterEvent) => void): void {
    this.events.on(fn);
  }

  start(): void {
    const log = this.#ports.log;
    this.events.emit({ type: "boot", safeMode: this.safeMode, boots: this.boots, configVersion: this.cfg.version });
    if (this.safeMode) {
      this.events.emit({ type: "watchdog", action: "safe-mode", detail: `${this.boots} boots without becoming stable; running ${this.#configSource} config` });
    }
    if (this.#configRejected !== null) {
      this.events.emit({ type: "config-rejected", source: "store", error: this.#configRejected });
    }
    log.log("info", `router up: ${this.monitors.length} links, config v${this.cfg.version} (${this.#configSource})`);
    this.telemetry.start();
    this.supervisor.start();
    for (const m of this.monitors) m.start();
  }

  stop(): void {
    this.supervisor.stop();
    this.telemetry.stop();
    for (const m of this.monitors) m.stop();
  }

  linkReports(): LinkReport[] {
    return this.monitors.map((m) => ({
      name: m.link, state: m.state, rttMs: Math.round(m.srttMs), lossPct: Math.round(m.lossPct), jitterMs: Math.round(m.jitterMs),
    }));
  }
}
