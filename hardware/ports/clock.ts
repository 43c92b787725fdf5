// Clock on Moddable's Timer and Time.ticks (monotonic ms); calendar time from Date once SNTP set it.
import Timer from "timer";
import Time from "time";
import type { Clock, TimerHandle } from "../../src/ports";

export const clock: Clock = {
  now: () => Time.ticks,
  once: (ms, fn) => Timer.set(() => fn(), ms),
  every: (ms, fn) => Timer.repeat(() => fn(), ms),
  cancel: (h: TimerHandle) => Timer.clear(h as ReturnType<typeof Timer.set>),
  // Date.now() counts from 1970 only once SNTP has set the clock; before that it is near zero.
  wallMs: () => {
    const t = Date.now();
    return t > SNTP_SANE_MS ? t : 0;
  },
};

/** 2024-01-01: any earlier reading means the clock was never set. */
const SNTP_SANE_MS = 1704067200000;
