// Clock on Moddable's Timer and Time.ticks (monotonic ms).
import Timer from "timer";
import Time from "time";
import type { Clock, TimerHandle } from "../../src/ports";

export const clock: Clock = {
  now: () => Time.ticks,
  once: (ms, fn) => Timer.set(() => fn(), ms),
  every: (ms, fn) => Timer.repeat(() => fn(), ms),
  cancel: (h: TimerHandle) => Timer.clear(h as ReturnType<typeof Timer.set>),
};
