// Supervises the control loop. Every tick it checks that the loop itself kept time, abandons
// probes the platform never answered, re-runs the failover policy (hold-downs expire with time),
// climbs the escalation ladder while no uplink works, resets links that stay down, and feeds the
// hardware watchdog only while all of that is healthy: a wedged loop or prober then ends in a
// hardware reset, not a silent hang.
import type { Clock, HardwareWatchdog, Uplinks } from "../ports";
import type { DeviceConfig } from "../config/config";
import type { LinkMonitor } from "../health/link-monitor";
import { carriesTraffic } from "../health/link-state";
import type { FailoverController } from "../failover/controller";
import type { EventLog } from "../telemetry/events";
import { Rung, backoffMs, rebootMayHelp, rungAfter, type LadderTimes } from "./escalation";
import { afterReset, planFor, type ResetPlan } from "./link-reset";

/** Abandoned probes in a row, with none answered, after which the prober counts as wedged. */
const WEDGED_STREAK = 3;

export interface SupervisorDeps {
  cfg: DeviceConfig;
  clock: Clock;
  hw: HardwareWatchdog;
  uplinks: Uplinks;
  monitors: readonly LinkMonitor[];
  controller: FailoverController;
  events: EventLog;
  /** The boot ran `stableAfterMs` without crashing: it is not part of a boot loop. */
  onStable: () => void;
  /** Stable and an uplink worked: the config has proved itself. */
  onProven?: () => void;
  /** Ladder reboots in a row before this boot (from the deliberate-reboot mark): the reboot backs off. */
  ladderReboots?: number;
  /** Last chance to save state before a deliberate reboot; `ladderReboots` counts this one. */
  beforeReboot?: (ladderReboots: number) => void;
}

export class Supervisor {
  #d: SupervisorDeps;
  #timer: unknown = null;
  #lastTick = 0;
  #bootAt = 0;
  #stable = false;
  #proven = false;
  #unhealthySince: number | null = null;
  #rungDone: Rung = Rung.None;
  #stuckStreak = 0;
  #lastCompleted = 0;
  #starving = false;
  #rebooting = false;
  #ladderReboots: number;
  /** What this outage showed about the router itself (see rebootMayHelp). */
  #stuckInOutage = 0;
  #carrierSeen = false;
  #plans = new Map<string, ResetPlan>();
  ticks = 0;

  constructor(d: SupervisorDeps) {
    this.#d = d;
    this.#ladderReboots = d.ladderReboots ?? 0;
  }

  get rung(): Rung { return this.#rungDone; }

  start(): void {
    const { clock, cfg, hw } = this.#d;
    this.#bootAt = this.#lastTick = clock.now();
    hw.arm(cfg.watchdog.hwTimeoutMs);
    this.#timer = clock.every(cfg.watchdog.tickMs, () => this.tick());
  }

  stop(): void {
    if (this.#timer !== null) this.#d.clock.cancel(this.#timer);
    this.#timer = null;
  }

  tick(): void {
    const { clock, cfg, events, controller } = this.#d;
    const now = clock.now();
    this.ticks++;
    const late = now - this.#lastTick;
    this.#lastTick = now;
    if (late >= cfg.watchdog.stallTicks * cfg.watchdog.tickMs) {
      events.emit({ type: "watchdog", action: "loop-stall", detail: `tick ${late} ms apart` });
    }
    this.#checkProbes(now);
    controller.evaluate();
    // Uplinks only: a broker outage must not make a whole fleet reset or reboot at once.
    const healthy = controller.healthy();
    this.#escalate(now, healthy);
    if (this.#rebooting) return;
    this.#resetDeadLinks(now, healthy);
    this.#feed();
    // Stable means "not a crash loop": it needs time without a crash, not a working uplink, or an
    // ISP outage longer than stableAfterMs would keep every boot unstable. The config is promoted to
    // known-good only once it has also carried traffic: it may be the reason no uplink works.
    if (!this.#stable && !this.#starving && now - this.#bootAt >= cfg.watchdog.stableAfterMs) {
      this.#stable = true;
      this.#d.onStable();
    }
    if (this.#stable && !this.#proven && healthy) {
      this.#proven = true;
      this.#d.onProven?.();
    }
  }

  #checkProbes(now: number): void {
    let abandoned = 0, completed = 0;
    // Every tick: indexed loops (for-of costs XS an iterator per loop).
    const ms = this.#d.monitors;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      abandoned += m.abandonStuck(now, this.#d.cfg.watchdog.stuckProbeGraceMs);
      completed += m.completed;
    }
    if (completed !== this.#lastCompleted) this.#stuckStreak = 0;
    this.#lastCompleted = completed;
    if (abandoned > 0) {
      this.#stuckStreak += abandoned;
      this.#stuckInOutage += abandoned;
      this.#d.events.emit({ type: "watchdog", action: "stuck-probe", detail: `${abandoned} probe(s) never answered` });
    }
  }

  /** The ladder; each reboot in a row (across boots) waits twice as long as the one before. */
  #times(): LadderTimes {
    const w = this.#d.cfg.watchdog;
    return { reprobeAfterMs: w.reprobeAfterMs, resetAfterMs: w.resetAfterMs,
      rebootAfterMs: backoffMs(this.#ladderReboots, w.rebootAfterMs, w.resetBackoffMaxMs) };
  }

  #escalate(now: number, healthy: boolean): void {
    const { monitors, events } = this.#d;
    if (healthy) {
      this.#unhealthySince = null;
      this.#rungDone = Rung.None;
      this.#ladderReboots = 0;
      return;
    }
    if (this.#unhealthySince === null) {
      this.#unhealthySince = now;
      this.#stuckInOutage = 0;
      this.#carrierSeen = false;
    }
    for (let i = 0; i < monitors.length; i++) if (monitors[i].carrier) this.#carrierSeen = true;
    const rung = rungAfter(now - this.#unhealthySince, this.#times());
    const after = `after ${now - this.#unhealthySince} ms without a working uplink`;
    while (this.#rungDone < rung) {
      this.#rungDone++;
      if (this.#rungDone === Rung.Reprobe) {
        events.emit({ type: "watchdog", action: "reprobe", detail: after });
        for (const m of monitors) m.reprobe();
      } else if (this.#rungDone === Rung.ResetLink) {
        for (const m of monitors) {
          if (carriesTraffic(m.state)) continue;
          // A link already reset in this outage is on its own backoff (#resetDeadLinks).
          const plan = this.#plans.get(m.link);
          if (plan && plan.resets > 0) continue;
          this.#reset(m, plan ?? planFor(now, 0), now, `${m.link} ${after}`);
        }
      } else if (!this.#mayReboot()) {
        events.emit({ type: "watchdog", action: "no-reboot", detail:
          `outage upstream (carrier up, every probe answered by the platform) ${after}: re-probing and resetting links instead` });
      }
    }
    // At the top of the ladder the evidence is looked at every tick: it may appear later.
    if (this.#rungDone === Rung.Reboot && this.#mayReboot()) this.#reboot(after);
  }

  #mayReboot(): boolean {
    return rebootMayHelp({ stuckProbes: this.#stuckInOutage, carrierSeen: this.#carrierSeen });
  }

  #reboot(after: string): void {
    const { events, hw } = this.#d;
    this.#rebooting = true;
    this.stop();
    const why = this.#carrierSeen ? "probes never answered by the platform" : "no carrier on any link";
    events.emit({ type: "watchdog", action: "reboot", detail: `${after}; ${why}` });
    this.#d.beforeReboot?.(this.#ladderReboots + 1);
    hw.reboot("no uplink " + after);
  }

  /**
   * A link that carries no traffic is reset (modem power cycle, DHCP renew) and re-probed,
   * `linkResetAfterMs` after it was found so and then with a doubling wait while it stays so. While
   * another link works, only links whose carrier is up qualify (a wedged modem; a link without
   * carrier has nothing a reset is known to fix); with no working uplink, every link does. A link
   * that carries traffic (the active one while it works) is never touched.
   */
  #resetDeadLinks(now: number, healthy: boolean): void {
    const w = this.#d.cfg.watchdog;
    const ms = this.#d.monitors;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      if (carriesTraffic(m.state)) {
        this.#plans.delete(m.link);
        continue;
      }
      let plan = this.#plans.get(m.link);
      if (!plan) {
        if (!m.carrier && healthy) continue;
        plan = planFor(now, w.linkResetAfterMs);
        this.#plans.set(m.link, plan);
      }
      if (plan.reprobeDue && m.carrier && now - plan.lastResetAt > w.tickMs) {
        // The carrier is back after the reset: look now rather than at the down-probe interval.
        plan.reprobeDue = false;
        m.reprobe();
      }
      if (now >= plan.nextAt && (m.carrier || !healthy)) {
        const how = m.carrier ? "with carrier up" : "without carrier";
        this.#reset(m, plan, now, `${m.link} down ${now - plan.foundAt} ms ${how}, reset ${plan.resets + 1}`);
      }
    }
  }

  #reset(m: LinkMonitor, plan: ResetPlan, now: number, detail: string): void {
    const w = this.#d.cfg.watchdog;
    this.#d.events.emit({ type: "watchdog", action: "reset-link", detail });
    this.#d.uplinks.reset(m.link);
    this.#plans.set(m.link, afterReset(plan, now, w.linkResetAfterMs, w.resetBackoffMaxMs));
  }

  #feed(): void {
    if (this.#stuckStreak < WEDGED_STREAK) {
      this.#starving = false;
      this.#d.hw.feed();
    } else if (!this.#starving) {
      this.#starving = true;
      this.#d.events.emit({ type: "watchdog", action: "starve", detail: "prober wedged; letting the hardware watchdog reset" });
    }
  }
}
