// Running a simulated world on the wall clock: virtual time follows real time (times `speed`),
// and the event loop turns between steps so real sockets (MQTT.js) can deliver in between.
import type { VirtualClock } from "../world/virtual-clock";

export interface LiveRun {
  /** Resolves when `durationMs` of simulated time have passed or stop() was called. */
  done: Promise<void>;
  stop(): void;
}

export function runLive(clocks: readonly VirtualClock[], durationMs: number, speed = 1, stepMs = 20): LiveRun {
  const start = Date.now();
  let stopped = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const tick = () => {
    if (stopped) return finish();
    const t = Math.min(durationMs, (Date.now() - start) * speed);
    for (const c of clocks) c.runUntil(t);
    if (t >= durationMs) return finish();
    setTimeout(tick, stepMs);
  };
  setTimeout(tick, 0);
  return { done, stop: () => { stopped = true; } };
}
