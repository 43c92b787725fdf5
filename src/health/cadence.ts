// When a link monitor looks: the only part of the detector that arms timers. Four clocks, each
// with one callback made once: the baseline probe (one-shot, re-armed after each), fast probing
// (repeating while the link is suspect or confirming a recovery), the silence watch (one-shot, at
// the moment a silence becomes overdue or outlasts its tolerance) and the traffic poll (repeating
// while users' traffic proves the link). Everything else in the detector reacts to these.
import type { Clock } from "../ports";
import type { DeviceConfig } from "../config/config";

/** What the baseline interval of a link depends on. */
export interface PaceFacts {
  down: boolean;
  standby: boolean;
  /** Users' traffic proves the link (TrafficEvidence.busy). */
  busy: boolean;
  suspect: boolean;
  lossPct: number;
  /** The data budget's stretch (>= 1); asked only when it applies (asking moves its clock). */
  pace?: () => number;
}

/**
 * Time to the next baseline probe. Users' packets prove the path forwards but say nothing of its
 * loss: once the loss window reaches the recovered level, only probes at the full rate can tell a
 * worsening path in time, so a busy link slows down only while its loss is below that level.
 */
export function baselineIntervalMs(p: DeviceConfig["probe"], lossRecoveredPct: number, f: PaceFacts): number {
  if (f.down) return p.downIntervalMs;
  let ms = f.standby ? p.standbyIntervalMs
    : f.busy && !f.suspect && f.lossPct < lossRecoveredPct
      ? (p.busyIntervalMs > p.intervalMs ? p.busyIntervalMs : p.intervalMs)
    : p.intervalMs;
  const pace = f.pace ? f.pace() : 1;
  if (pace > 1) ms *= pace;
  return ms;
}

export interface CadenceHandlers {
  baseline(): void;
  fast(): void;
  watch(): void;
  poll(): void;
}

export class Cadence {
  #clock: Clock;
  #h: CadenceHandlers;
  #baseline: unknown = null;
  #nextAt = 0;
  #fast: unknown = null;
  #watch: unknown = null;
  #poll: unknown = null;
  #onBaseline: () => void;
  #onWatch: () => void;
  #onFast: () => void;
  #onPoll: () => void;

  constructor(clock: Clock, handlers: CadenceHandlers) {
    this.#clock = clock;
    this.#h = handlers;
    this.#onBaseline = () => { this.#baseline = null; this.#h.baseline(); };
    this.#onWatch = () => { this.#watch = null; this.#h.watch(); };
    this.#onFast = () => this.#h.fast();
    this.#onPoll = () => this.#h.poll();
  }

  /** When the next baseline probe is due (meaningful while one is armed). */
  get nextAt(): number { return this.#nextAt; }
  get baselineArmed(): boolean { return this.#baseline !== null; }
  get fastRunning(): boolean { return this.#fast !== null; }
  get polling(): boolean { return this.#poll !== null; }

  /** The next baseline probe in `delay` ms, replacing any armed one. */
  baselineIn(delay: number): void {
    this.cancelBaseline();
    this.#nextAt = this.#clock.now() + delay;
    this.#baseline = this.#clock.once(delay, this.#onBaseline);
  }

  cancelBaseline(): void {
    if (this.#baseline !== null) this.#clock.cancel(this.#baseline);
    this.#baseline = null;
  }

  /** Fast probing every `ms`; false if it already runs. */
  startFast(ms: number): boolean {
    if (this.#fast !== null) return false;
    this.#fast = this.#clock.every(ms, this.#onFast);
    return true;
  }

  stopFast(): void {
    if (this.#fast !== null) this.#clock.cancel(this.#fast);
    this.#fast = null;
  }

  /** Look at the silence again in `ms`, replacing any armed watch. */
  watchIn(ms: number): void {
    this.cancelWatch();
    this.#watch = this.#clock.once(ms, this.#onWatch);
  }

  cancelWatch(): void {
    if (this.#watch !== null) this.#clock.cancel(this.#watch);
    this.#watch = null;
  }

  startPoll(ms: number): void {
    if (this.#poll === null) this.#poll = this.#clock.every(ms, this.#onPoll);
  }

  stopPoll(): void {
    if (this.#poll !== null) this.#clock.cancel(this.#poll);
    this.#poll = null;
  }

  stopAll(): void {
    this.cancelBaseline();
    this.stopPoll();
    this.stopFast();
    this.cancelWatch();
  }
}
