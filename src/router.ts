// The control plane, assembled: boot guard -> config -> one monitor per uplink -> failover
// controller -> supervisor, with telemetry and the fleet's commands beside them. Hosts
// (hardware/main.ts, the simulator) build the ports and call start(); nothing here knows which
// host it runs on. A new config rebuilds the plane in place, seeded with what the old one knew, so
// traffic and the broker session carry on.
import { countingStore } from "./telemetry/counting-store";
import type { Ports } from "./ports";
import type { DeviceConfig } from "./config/config";
import { loadBootConfig, peekBootLoopCount } from "./config/boot-config";
import { CONFIG_MAX_BYTES, pointTo, switchTo } from "./config/config-slots";
import { utf8Length } from "./config/utf8";
import { countBoot, markDeliberateReboot, markStable, nextEpoch, takeDeliberateMark } from "./watchdog/boot-guard";
import { LinkMonitor } from "./health/link-monitor";
import { SocketBudget } from "./health/socket-budget";
import type { DataBudget } from "./health/data-budget";
import { Spending } from "./health/spending";
import { countedSession } from "./telemetry/wire-bytes";
import { FailoverController } from "./failover/controller";
import { Supervisor } from "./watchdog/supervisor";
import { EventLog, type RouterEvent } from "./telemetry/events";
import { Telemetry, type LinkReport } from "./telemetry/telemetry";
import { Inbound, type CommandTarget } from "./telemetry/inbound";
import { drawBootId } from "./telemetry/boot-id";

export const FIRMWARE_VERSION = "0.2.0";


export interface RouterOptions {
  deviceId: string;
}

interface Plane {
  cfg: DeviceConfig;
  budget: SocketBudget;
  monitors: LinkMonitor[];
  controller: FailoverController;
  supervisor: Supervisor;
}

/** A config on trial: rolled back if the router cannot reach its uplinks or the broker in time. */
interface Trial {
  previous: { cfg: DeviceConfig; json: string | null; slot: 0 | 1 };
  timer: unknown;
}

export class Router implements CommandTarget {
  readonly events: EventLog;
  readonly safeMode: boolean;
  readonly boots: number;
  readonly epoch: number;
  readonly bootId: string;
  readonly telemetry: Telemetry;
  readonly inbound: Inbound;
  #ports: Ports;
  #plane: Plane;
  #configJson: string | null;
  #configRejected: string | null;
  #configSource: string;
  #trial: Trial | null = null;
  #rebooting = false;
  /** Ladder reboots in a row before this boot: the next one backs off. */
  #ladderReboots: number;
  /** Bytes the router spent per link this billing period; outlives config changes. */
  #spent: Spending;

  constructor(platform: Ports, options: RouterOptions) {
    // Every Store write counted (the heartbeat's storeWrites: flash wear is part of health).
    const counted = countingStore(platform.store);
    const ports: Ports = { ...platform, store: counted };
    this.#ports = ports;
    const { clock, store } = ports;
    this.events = new EventLog(() => clock.now());
    const mark = takeDeliberateMark(store);
    this.#ladderReboots = mark.ladderReboots;
    const boot = countBoot(store, peekBootLoopCount(store), mark.deliberate);
    this.boots = boot.boots;
    this.safeMode = boot.safeMode;
    this.epoch = nextEpoch(store);
    this.bootId = drawBootId(ports.random);
    const bc = loadBootConfig(store, boot.safeMode);
    this.#configJson = bc.json;
    this.#configRejected = bc.rejected;
    this.#configSource = bc.source;
    this.#spent = new Spending(clock, store, (link, action, detail) => this.events.emit({ type: "budget", link, action, detail }));
    this.#plane = this.#build(bc.cfg, null);
    this.#spent.restore();
    const mqtt = countedSession(ports.mqtt, (bytes) => { const a = this.controller.active; if (a !== null) this.#spent.spend(a, bytes); });
    this.telemetry = new Telemetry({
      deviceId: options.deviceId, firmware: FIRMWARE_VERSION, cfg: bc.cfg, clock, random: ports.random,
      mqtt, store, events: this.events, safeMode: this.safeMode, boots: this.boots, epoch: this.epoch, bootId: this.bootId,
      links: () => this.linkReports(), active: () => this.controller.active,
      extra: () => ({
        heap: ports.watchdog.heapUsed(), ...(ports.watchdog.chunkUsed ? { chunk: ports.watchdog.chunkUsed() } : {}),
        rejected: this.inbound.rejected, safeMode: this.safeMode ? 1 : 0, storeWrites: counted.writes,
      }),
      pace: () => this.#spent.pace(this.controller.active),
      onConnected: () => this.inbound.subscribe(),
      onMessage: (m) => this.inbound.handle(m),
    });
    this.inbound = new Inbound({ topics: this.telemetry.topics, mqtt, events: this.events, target: this,
      send: (m) => this.telemetry.send(m), now: () => clock.now(), epoch: this.epoch, bootId: this.bootId });
    ports.uplinks.onCarrier((link, up) => this.#plane.monitors.find((m) => m.link === link)?.setCarrier(up));
  }

  get cfg(): DeviceConfig { return this.#plane.cfg; }
  get monitors(): readonly LinkMonitor[] { return this.#plane.monitors; }
  get controller(): FailoverController { return this.#plane.controller; }
  get supervisor(): Supervisor { return this.#plane.supervisor; }
  get budget(): SocketBudget { return this.#plane.budget; }

  onEvent(fn: (e: RouterEvent) => void): void {
    this.events.on(fn);
  }

  start(): void {
    this.events.emit({ type: "boot", safeMode: this.safeMode, boots: this.boots, configVersion: this.cfg.version });
    if (this.safeMode) {
      this.events.emit({ type: "watchdog", action: "safe-mode", detail: `${this.boots} boots without becoming stable; running ${this.#configSource} config` });
    }
    if (this.#configRejected !== null) {
      this.events.emit({ type: "config-rejected", source: "store", error: this.#configRejected });
    }
    this.#ports.log.log("info", `router up: ${this.monitors.length} links, config v${this.cfg.version} (${this.#configSource})`);
    this.telemetry.start();
    this.#startPlane(this.#plane);
  }

  stop(): void {
    this.#stopPlane(this.#plane);
    this.telemetry.stop();
  }

  linkReports(): LinkReport[] {
    return this.monitors.map((m) => {
      const b = this.#spent.get(m.link) as DataBudget;
      const r: LinkReport = {
        name: m.link, state: m.state, rttMs: Math.round(m.srttMs), lossPct: Math.round(m.lossPct), jitterMs: Math.round(m.jitterMs),
        rxPps: Math.round(m.rxPps), usedBytes: b.used,
      };
      if (b.settings) r.budgetBytes = b.settings.bytes;
      return r;
    });
  }

  // ---- CommandTarget: what the fleet may ask ----

  runningConfigJson(): string | null {
    return this.#configJson;
  }

  hasLink(name: string): boolean {
    const ms = this.monitors;
    for (let i = 0; i < ms.length; i++) if (ms[i].link === name) return true;
    return false;
  }

  applyConfig(cfg: DeviceConfig, json: string): string | null {
    if (this.safeMode) return "safe mode: running the known-good config until the next stable boot";
    const unknown = Object.keys(cfg.links).filter((l) => !this.monitors.some((m) => m.link === l));
    if (unknown.length > 0) return `/config/links: no uplink named ${unknown.slice(0, 3).join(", ")}${unknown.length > 3 ? " ..." : ""}`;
    // What the store cannot hold is refused here, before anything is written.
    const bytes = utf8Length(json);
    if (bytes > CONFIG_MAX_BYTES) return `/config is ${bytes} bytes as stored, the store holds ${CONFIG_MAX_BYTES}: use fewer or shorter targets`;
    const store = this.#ports.store;
    const previous = { cfg: this.cfg, json: this.#configJson, slot: switchTo(store, json) };
    if (this.#trial) this.#ports.clock.cancel(this.#trial.timer);
    this.#trial = { previous: this.#trial?.previous ?? previous, timer: null };
    this.#replacePlane(cfg, json);
    this.events.emit({ type: "config-applied", version: cfg.version });
    const trial = this.#trial;
    trial.timer = this.#ports.clock.once(cfg.telemetry.configGraceMs, () => this.#judgeTrial(trial));
    return null;
  }

  pin(link: string, holdMs: number): string | null {
    if (!this.monitors.some((m) => m.link === link)) return `/link: no uplink named '${link}'`;
    const error = this.controller.pin(link, holdMs);
    if (error === null) this.events.emit({ type: "pinned", link, holdMs });
    return error;
  }

  reboot(reason: string, delayMs: number): void {
    if (this.#rebooting) return;
    this.#rebooting = true;
    this.telemetry.queue.flush();
    this.#ports.clock.once(delayMs, () => {
      markDeliberateReboot(this.#ports.store, 0);
      this.#ports.watchdog.reboot(reason);
    });
  }

  probeNow(link: string | null): string | null {
    const targets = link === null ? this.monitors : this.monitors.filter((m) => m.link === link);
    if (targets.length === 0) return `/link: no uplink named '${link}'`;
    for (const m of targets) m.reprobe();
    return null;
  }

  // ---- the plane ----

  #build(cfg: DeviceConfig, from: Plane | null): Plane {
    const { clock, uplinks } = this.#ports;
    const budget = new SocketBudget(cfg.probe.maxInFlight);
    const monitors = uplinks.list().map((l) => {
      const old = from?.monitors.find((m) => m.link === l.name);
      // The billing period goes on across a config change: spending, pace and notices carry over.
      const spent = this.#spent.budget(l.name, cfg.links[l.name]?.budget ?? null);
      return new LinkMonitor({
        pace: () => (spent.settings ? spent.pace(clock.now(), clock.wallMs()) : 1),
        onBytes: (bytes) => this.#spent.spend(l.name, bytes),
        link: l.name, cfg, clock, prober: this.#ports.prober, budget, traffic: this.#ports.traffic, carrier: uplinks.carrier(l.name),
        seed: old ? { state: old.state, since: old.since, gaps: old.gaps } : undefined,
        onStall: (m, ms) => plane.controller.linkStalled(m.link, ms),
        onReturning: (m, returning) => plane.controller.linkReturning(m.link, returning),
        onStep: (m, prev, step) => {
          this.events.emit({ type: "link-state", link: m.link, from: prev, to: step.to, reason: step.transition });
          plane.controller.linkChanged(m.link, prev, step.to, step.transition);
        },
      });
    });
    const controller = new FailoverController(cfg, monitors, uplinks, this.events, () => clock.now(),
      from ? { active: from.controller.active, lastSwitchAt: from.controller.lastSwitchAt, dampers: from.controller.dampers } : undefined);
    const supervisor = new Supervisor({
      cfg, clock, hw: this.#ports.watchdog, uplinks, monitors, controller, events: this.events,
      onStable: () => markStable(this.#ports.store, null),
      onProven: () => { if (!this.safeMode && this.#configJson !== null) markStable(this.#ports.store, this.#configJson); },
      ladderReboots: this.#ladderReboots,
      beforeReboot: (n) => {
        this.telemetry.queue.flush();
        markDeliberateReboot(this.#ports.store, n);
      },
    });
    const plane: Plane = { cfg, budget, monitors, controller, supervisor };
    return plane;
  }

  #startPlane(p: Plane): void {
    p.supervisor.start();
    for (const m of p.monitors) m.start();
  }

  #stopPlane(p: Plane): void {
    p.supervisor.stop();
    for (const m of p.monitors) m.stop();
  }

  #replacePlane(cfg: DeviceConfig, json: string | null): void {
    const old = this.#plane;
    this.#stopPlane(old);
    this.#plane = this.#build(cfg, old);
    this.#configJson = json;
    this.telemetry.setConfig(cfg);
    this.#startPlane(this.#plane);
  }

  /** End of the grace period: keep the new config only if an uplink and the broker work. */
  #judgeTrial(trial: Trial): void {
    if (this.#trial !== trial) return;
    this.#trial = null;
    const uplink = this.controller.healthy();
    if (uplink && this.telemetry.connected) return;
    const p = trial.previous;
    const version = this.cfg.version;
    pointTo(this.#ports.store, p.slot);
    this.#replacePlane(p.cfg, p.json);
    this.events.emit({ type: "config-rolled-back", version, restored: p.cfg.version,
      reason: uplink ? "broker unreachable" : "no working uplink" });
  }
}
