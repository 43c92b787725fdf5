// Supervises the control loop. Every tick it checks that the loop itself kept time, abandons
// probes the platform never answered, re-runs the failover policy (hold-downs expire with time),
// climbs the escalation ladder while no uplink works, and feeds the hardware watchdog only while
// all of that is healthy: a wedged loop or prober then ends in a hardware reset, not a silent hang.
import type { Clock, HardwareWatchdog, Uplinks } from "../ports";
import type { DeviceConfig } from "../config/config";
import type { LinkMonitor } from "../health/link-monitor";
import type { FailoverController } from "../failover/controller";
import type { EventLog } from "../telemetry/events";
import { Rung, rungAfter } from "./escalation";

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
  onStable: () => void;
  /** Last chance to save state before a deliberate reboot. */
  beforeReboot?: () => void;
}

export class Supervisor {
  #d: SupervisorDeps;
  #timer: unknown = null;
  #lastTick = 0;
  #bootAt = 0;
  #stable = false;
  #unhealthySince: number | null = null;
  #rungDone: Rung = Rung.None;
  #stuckStreak = 0;
  #lastCompleted = 0;
  #starving = false;
  ticks = 0;

  constructor(d: SupervisorDeps) {
    this.#d = d;
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
    this.#escalate(now);
    this.#feed();
    if (!this.#stable && now - this.#bootAt >= cfg.watchdog.stableAfterMs && this.#rungDone === Rung.None) {
      this.#stable = true;
      this.#d.onStable();
    }
  }

  #checkProbes(now: number): void {
    let abandoned = 0, completed = 0;
    for (const m of this.#d.monitors) {
      abandoned += m.abandonStuck(now, this.#d.cfg.watchdog.stuckProbeGraceMs);
      completed += m.completed;
    }
    if (completed !== this.#lastCompleted) this.#stuckStreak = 0;
    this.#lastCompleted = completed;
    if (abandoned > 0) {
      this.#stuckStreak += abandoned;
      this.#d.events.emit({ type: "watchdog", action: "stuck-probe", detail: `${abandoned} probe(s) never answered` });
    }
  }

  #escalate(now: number): void {
    const { cfg, controller, monitors, uplinks, events, hw } = this.#d;
    // Uplinks only: a broker outage must not make a whole fleet reboot at once.
    const healthy = controller.healthy();
    if (healthy) {
      this.#unhealthySince = null;
      this.#rungDone = Rung.None;
      return;
    }
    if (this.#unhealthySince === null) this.#unhealthySince = now;
    const rung = rungAfter(now - this.#unhealthySince, cfg.watchdog);
    while (this.#rungDone < rung) {
      this.#rungDone++;
      const after = `after ${now - this.#unhealthySince} ms without a working uplink`;
      if (this.#rungDone === Rung.Reprobe) {
        events.emit({ type: "watchdog", action: "reprobe", detail: after });
        for (const m of monitors) m.reprobe();
      } else if (this.#rungDone === Rung.ResetLink) {
        for (const m of monitors) {
          if (m.state === "up") continue;
          events.emit({ type: "watchdog", action: "reset-link", detail: `${m.link} ${after}` });
          uplinks.reset(m.link);
        }
      } else {
        events.emit({ type: "watchdog", action: "reboot", detail: after });
        this.#d.beforeReboot?.();
        hw.reboot("no uplink " + after);
      }
    }
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
