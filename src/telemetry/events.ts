/** How traffic moved: the first choice at boot, away from a link, or back to a better one. */
export type SwitchKind = "initial" | "failover" | "failback";

// Everything the router reports as an event. Each gets a sequence number 0..255 that wraps, so a
// consumer sees gaps, and the monotonic time it happened.

export type EventBody =
  | { type: SwitchKind; from: string | null; to: string; reason: string }
  | { type: "link-state"; link: string; from: string; to: string; reason: string }
  | { type: "dampened"; link: string; penalty: number; reuseInMs: number }
  | { type: "no-uplink"; link: string | null }
  | { type: "watchdog"; action: WatchdogAction; detail: string }
  | { type: "boot"; safeMode: boolean; boots: number; configVersion: number }
  | { type: "config-rejected"; source: string; error: string }
  | { type: "config-applied"; version: number }
  | { type: "config-rolled-back"; version: number; restored: number; reason: string }
  | { type: "cmd-rejected"; cmd: string; error: string }
  | { type: "pinned"; link: string; holdMs: number }
  | { type: "budget"; link: string; action: "near" | "exhausted"; detail: string };

export type WatchdogAction = "reprobe" | "reset-link" | "reboot" | "stuck-probe" | "loop-stall" | "starve" | "safe-mode" | "no-reboot";

export type RouterEvent = EventBody & { atMs: number; seq: number };

export class EventLog {
  #seq = 255;
  #listeners: Array<(e: RouterEvent) => void> = [];

  constructor(private readonly now: () => number) {}

  on(fn: (e: RouterEvent) => void): void {
    this.#listeners.push(fn);
  }

  emit(body: EventBody): RouterEvent {
    this.#seq = (this.#seq + 1) & 255;
    const e = Object.assign({ atMs: this.now(), seq: this.#seq }, body) as RouterEvent;
    for (const fn of this.#listeners) fn(e);
    return e;
  }
}
