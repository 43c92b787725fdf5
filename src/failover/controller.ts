// Applies the policy: keeps the active link, the time of the last switch and a flap damper per
// link; moves the default route and the probe roles; reports every switch and dampening as events.
import type { Uplinks } from "../ports";
import type { DeviceConfig } from "../config/config";
import { linkPriority } from "../config/config";
import type { LinkMonitor } from "../health/link-monitor";
import type { LinkState } from "../health/link-state";
import type { EventLog } from "../telemetry/events";
import { FlapDamper } from "./dampening";
import { decide, type Candidate } from "./policy";

export class FailoverController {
  #active: string | null = null;
  #lastSwitchAt = -Infinity;
  #dampers = new Map<string, FlapDamper>();
  #candidates: Candidate[] = [];
  #noUplinkReported = false;
  switches = 0;
  #listeners: Array<(from: string | null, to: string) => void> = [];

  constructor(
    private readonly cfg: DeviceConfig,
    private readonly monitors: readonly LinkMonitor[],
    private readonly uplinks: Uplinks,
    private readonly events: EventLog,
    private readonly now: () => number,
  ) {
    for (const m of monitors) {
      this.#dampers.set(m.link, new FlapDamper(cfg.failover.dampening));
      this.#candidates.push({
        name: m.link, priority: linkPriority(cfg, m.link), enabled: cfg.links[m.link]?.enabled ?? true,
        state: m.state, transition: "boot", since: m.since, srttMs: 0, lossPct: 0, suppressed: false,
      });
    }
  }

  get active(): string | null { return this.#active; }

  onSwitch(fn: (from: string | null, to: string) => void): void {
    this.#listeners.push(fn);
  }

  penalty(link: string): number {
    return this.#dampers.get(link)?.penalty(this.now()) ?? 0;
  }

  /** A monitor changed state: dampen flaps, then decide at once. */
  linkChanged(link: string, from: LinkState, to: LinkState, transition: string): void {
    const c = this.#candidates.find((x) => x.name === link);
    if (c) c.transition = transition;
    if (to === "down" && (from === "up" || from === "degraded")) {
      const d = this.#dampers.get(link) as FlapDamper;
      const now = this.now();
      if (d.flap(now)) {
        this.events.emit({ type: "dampened", link, penalty: Math.round(d.penalty(now)), reuseInMs: d.reuseAt(now) - now });
      }
    }
    this.evaluate();
  }

  /** Runs on every state change and on the watchdog tick (hold-downs expire with time). */
  evaluate(): void {
    const now = this.now();
    for (let i = 0; i < this.monitors.length; i++) {
      const m = this.monitors[i], c = this.#candidates[i];
      c.state = m.state;
      c.since = m.since;
      c.srttMs = m.srttMs;
      c.lossPct = m.lossPct;
      c.suppressed = (this.#dampers.get(m.link) as FlapDamper).suppressed(now);
    }
    const d = decide(now, this.#active, this.#lastSwitchAt, this.#candidates, this.cfg.failover);
    if (d === null) {
      this.#reportNoUplink();
      return;
    }
    this.#noUplinkReported = false;
    const from = this.#active;
    this.#active = d.to;
    this.#lastSwitchAt = now;
    this.switches++;
    for (const m of this.monitors) m.setRole(m.link === d.to ? "active" : "standby");
    this.uplinks.setDefault(d.to);
    this.events.emit({ type: d.kind, from, to: d.to, reason: d.reason });
    for (const fn of this.#listeners) fn(from, d.to);
  }

  /** True while the router has a link it can use. */
  healthy(): boolean {
    const c = this.#candidates.find((x) => x.name === this.#active);
    return c !== undefined && (c.state === "up" || c.state === "degraded");
  }

  #reportNoUplink(): void {
    if (this.healthy() || this.#noUplinkReported || this.#active === null && this.monitors.some((m) => m.state === "unknown")) return;
    this.#noUplinkReported = true;
    this.events.emit({ type: "no-uplink", link: this.#active });
  }
}
