// The simulated world around one router: links, the broker, persistent storage, a hardware
// watchdog, and boots. The firmware is the real src/ Router; only its ports are simulated.
import type { LogLevel, MqttSession } from "../../src/ports";
import type { RouterEvent } from "../../src/telemetry/events";
import { BootContext } from "./boot-context";
import { Rng } from "./random";
import { SimBroker } from "./sim-broker";
import { SimLink, type LinkSpec } from "./sim-link";
import { portsFor } from "./sim-ports";
import { SimStore } from "./sim-store";
import { SimMqttSession } from "./sim-mqtt";
import { VirtualClock } from "./virtual-clock";
import { SimTraffic, type TrafficSpec } from "./sim-traffic";
import { nodeHost, type FirmwareHost, type FirmwareInstance, type FirmwareView } from "./firmware-host";

/** Time from a carrier change to the driver's event (PHY autoneg/LTE detach are not instant). */
export const CARRIER_EVENT_MS = 5;
/** A reset keeps the carrier away this long unless the link's spec says what its kind costs (resetMs). */
export const LINK_RESET_MS = 3000;
/** Reboot to running firmware. */
export const BOOT_MS = 2000;
/** The lwIP socket budget left for probes (4 sockets, one kept by MQTT). */
export const PROBE_SOCKETS = 3;

export interface WorldOptions {
  seed: number;
  links: LinkSpec[];
  deviceId: string;
  /** Called with every firmware log line (default: dropped). */
  log?: (level: LogLevel, message: string) => void;
  /** Where the firmware runs (default: in this Node process). */
  host?: FirmwareHost;
  /** The MQTT session each boot gets (default: the in-process simulated broker on the virtual clock). */
  mqtt?: (ctx: BootContext, world: SimWorld) => MqttSession;
  /** The users behind the router (default: none, only the firmware's own packets). */
  traffic?: TrafficSpec;
  /**
   * What the firmware's Random.fresh draws from (the boot id). Default: a seeded stream per boot,
   * so virtual runs repeat; live routers pass the OS's randomness, as a device has its hardware RNG.
   */
  entropy?: () => number;
}

export type LoggedEvent = RouterEvent & { boot: number };

/** A reset the router asked for, and what it cost: the link was down for costMs. */
export interface LinkReset { atMs: number; link: string; costMs: number }

export class SimWorld {
  readonly clock = new VirtualClock();
  readonly rng: Rng;
  readonly links: SimLink[];
  readonly broker: SimBroker;
  readonly store = new SimStore();
  readonly events: LoggedEvent[] = [];
  readonly reboots: Array<{ atMs: number; reason: string }> = [];
  readonly resets: LinkReset[] = [];
  readonly host: FirmwareHost;
  readonly traffic: SimTraffic;
  firmware: FirmwareInstance | null = null;
  defaultRoute: string | null = null;
  boots = 0;
  /** Probes holding a socket (all but ICMP echoes), now and at most. */
  inflight = 0;
  maxInflight = 0;
  budgetViolations = 0;
  /** ICMP echoes out per link (they share the link's one ICMP endpoint), and the most on any link. */
  #echoes = new Map<string, number>();
  maxEchoesInFlight = 0;
  #ctx: BootContext | null = null;
  #carrierListeners: Array<{ ctx: BootContext; fn: (link: string, up: boolean) => void }> = [];
  #hwTimeoutMs = 0;
  #hwFedAt = 0;
  #rebootPending = false;
  #eventListeners: Array<(e: LoggedEvent) => void> = [];

  constructor(readonly options: WorldOptions) {
    this.rng = new Rng(options.seed);
    this.links = options.links.map((s) => new SimLink(s, this.rng.fork("link:" + s.name)));
    for (const l of this.links) l.now = () => this.clock.now();
    this.broker = new SimBroker(() => this.clock.now());
    this.host = options.host ?? nodeHost;
    this.traffic = new SimTraffic({
      spec: options.traffic, rng: this.rng.fork("traffic"), now: () => this.clock.now(),
      after: (ms, fn) => { this.clock.after(ms, fn); },
      route: () => (this.defaultRoute === null ? null : this.maybeLink(this.defaultRoute) ?? null),
    });
    // The hardware watchdog is outside the firmware: it keeps counting while the loop is hung.
    this.clock.after(100, () => this.#hwCheck(), 100);
  }

  get ctx(): BootContext | null { return this.#ctx; }

  link(name: string): SimLink {
    const l = this.maybeLink(name);
    if (!l) throw new Error(`no link named '${name}'`);
    return l;
  }

  maybeLink(name: string): SimLink | undefined {
    return this.links.find((l) => l.name === name);
  }

  onEvent(fn: (e: LoggedEvent) => void): void {
    this.#eventListeners.push(fn);
  }

  boot(): void {
    this.boots++;
    const ctx = new BootContext(this.clock, this.boots);
    this.#ctx = ctx;
    this.#hwTimeoutMs = 0;
    this.#carrierListeners = this.#carrierListeners.filter((l) => l.ctx.alive);
    const fresh = this.options.entropy ?? ((r) => () => r.next())(this.rng.fork("boot-id:" + this.boots));
    const ports = portsFor(ctx, this, this.rng.fork("firmware:" + this.boots), this.options.log ?? (() => {}), fresh);
    this.firmware = this.host.boot(ports, this.boots, this.options.deviceId, (e) => {
      const logged = Object.assign({ boot: ctx.boot }, e) as LoggedEvent;
      this.events.push(logged);
      for (const fn of this.#eventListeners) fn(logged);
    });
  }

  /** The running firmware's state, or null while it reboots. */
  view(): FirmwareView | null {
    return this.firmware?.view() ?? null;
  }

  requestReboot(reason: string): void {
    if (this.#rebootPending) return;
    this.#rebootPending = true;
    this.clock.after(0, () => this.#reboot(reason));
  }

  #reboot(reason: string): void {
    this.#rebootPending = false;
    this.reboots.push({ atMs: this.clock.now(), reason });
    if (this.#ctx) this.#ctx.alive = false;
    this.firmware = null;
    this.defaultRoute = null;
    this.#hwTimeoutMs = 0;
    this.clock.after(BOOT_MS, () => this.boot());
  }

  /** Power loss: the firmware stops where it is; nothing is said to anyone. */
  powerOff(): void {
    if (this.#ctx) this.#ctx.alive = false;
    this.firmware = null;
    this.defaultRoute = null;
    this.#hwTimeoutMs = 0;
  }

  hwArm(ms: number): void {
    this.#hwTimeoutMs = ms;
    this.#hwFedAt = this.clock.now();
  }

  hwFeed(): void {
    this.#hwFedAt = this.clock.now();
  }

  #hwCheck(): void {
    if (this.#hwTimeoutMs > 0 && this.clock.now() - this.#hwFedAt > this.#hwTimeoutMs) {
      this.requestReboot("hardware watchdog");
    }
  }

  /** The MQTT session a boot gets: the options' (a real broker, live runs) or the simulated broker's. */
  sessionFor(ctx: BootContext): MqttSession {
    return this.options.mqtt?.(ctx, this) ?? new SimMqttSession(ctx, ctx.clock, this.broker, (n) => this.maybeLink(n));
  }

  onCarrier(ctx: BootContext, fn: (link: string, up: boolean) => void): void {
    this.#carrierListeners.push({ ctx, fn });
  }

  /** Change a link's carrier inputs and tell the firmware if the carrier itself changed. */
  mutateCarrier(link: SimLink, change: () => void): void {
    const before = link.carrier;
    change();
    const after = link.carrier;
    if (before === after) return;
    this.clock.after(CARRIER_EVENT_MS, () => {
      if (link.carrier !== after) return; // bounced back within the debounce: no event
      for (const l of this.#carrierListeners) l.ctx.deliver(() => l.fn(link.name, after));
    });
  }

  setDefaultRoute(name: string): void {
    this.defaultRoute = name;
  }

  /** The router resets a link (modem re-attach, dish reboot): down for the link's reset cost. */
  resetLink(name: string): void {
    const link = this.link(name);
    const costMs = link.spec.resetMs ?? LINK_RESET_MS;
    const until = this.clock.now() + costMs;
    this.resets.push({ atMs: this.clock.now(), link: name, costMs });
    link.resetUntil = Math.max(link.resetUntil, until);
    this.mutateCarrier(link, () => { link.resetting = true; link.wedged = false; });
    // A reset during a reset ends with the later one.
    this.clock.after(costMs, () => {
      if (this.clock.now() >= link.resetUntil) this.mutateCarrier(link, () => { link.resetting = false; });
    });
  }

  probeStarted(link: string, echo: boolean): void {
    if (echo) {
      const n = (this.#echoes.get(link) ?? 0) + 1;
      this.#echoes.set(link, n);
      if (n > this.maxEchoesInFlight) this.maxEchoesInFlight = n;
      return;
    }
    this.inflight++;
    if (this.inflight > this.maxInflight) this.maxInflight = this.inflight;
    if (this.inflight > PROBE_SOCKETS) this.budgetViolations++;
  }

  probeEnded(link: string, echo: boolean): void {
    if (echo) this.#echoes.set(link, (this.#echoes.get(link) ?? 1) - 1);
    else this.inflight--;
  }

  /** Freeze the firmware's loop (a busy wait, a blocking driver call). */
  hang(durationMs: number): void {
    if (this.#ctx) this.#ctx.frozenUntil = this.clock.now() + durationMs;
  }

  run(untilMs: number): void {
    this.clock.runUntil(untilMs);
  }
}
