// Clock on Moddable's Timer and Time.ticks. The port promises milliseconds since boot; Time.ticks
// is that on the ESP32 but wall-clock milliseconds on the desktop build, so time is counted from
// the clock's creation (at boot, by main: this module is preloaded, so nothing here may read the
// time when the module is evaluated). Calendar time comes from Date once SNTP has set it.
import Timer from "timer";
import Time from "time";
import type { Clock, TimerHandle } from "../../src/ports";

/** Time.ticks when the clock was created: Clock.now() is measured from it. */
let origin = 0;

/**
 * A Time.ticks reading (as native modules stamp events) on the Clock.now() scale, so that the
 * time of a counter's last packet compares with the control loop's own times.
 */
export function ticksToNow(ticks: number): number {
  return ticks - origin;
}

export function createClock(): Clock {
  const start = Time.ticks;
  origin = start;
  return {
    now: () => Time.ticks - start,
    once: (ms, fn) => Timer.set(() => fn(), ms),
    every: (ms, fn) => Timer.repeat(() => fn(), ms),
    cancel: (h: TimerHandle) => Timer.clear(h as ReturnType<typeof Timer.set>),
    // Date.now() counts from 1970 only once SNTP has set the clock; before that it is near zero.
    wallMs: () => {
      const t = Date.now();
      return t > SNTP_SANE_MS ? t : 0;
    },
  };
}

/** 2024-01-01: any earlier reading means the clock was never set. */
const SNTP_SANE_MS = 1704067200000;
