// The probes a link has in flight: a fixed set of slots, allocated once (maxInFlight of them), so
// sending a probe allocates nothing. Each slot owns the callback the platform answers on; a probe
// we gave up on (abandoned, stuck) gets its slot a fresh callback, so the platform's late answer
// to it finds a callback that is no longer the slot's and is ignored.
import type { ProbeResult } from "../ports";
import type { TargetStatus } from "./targets";

export interface ProbeSlot {
  busy: boolean;
  sentAt: number;
  timeoutMs: number;
  target: TargetStatus | null;
  /** A baseline probe (counted in the loss window), not a fast one. */
  baseline: boolean;
  /** What the platform calls with this probe's result. */
  done: (result: ProbeResult) => void;
}

export class ProbeSlots {
  readonly all: readonly ProbeSlot[];
  #answered: (slot: ProbeSlot, result: ProbeResult) => void;

  /** `answered` runs once per probe the platform answered while it was still ours. */
  constructor(size: number, answered: (slot: ProbeSlot, result: ProbeResult) => void) {
    this.#answered = answered;
    const all: ProbeSlot[] = [];
    for (let i = 0; i < size; i++) {
      const s: ProbeSlot = { busy: false, sentAt: 0, timeoutMs: 0, target: null, baseline: true, done: NOOP };
      this.#renew(s);
      all.push(s);
    }
    this.all = all;
  }

  get size(): number { return this.all.length; }

  busyCount(): number {
    let n = 0;
    for (const s of this.all) if (s.busy) n++;
    return n;
  }

  /** The first free slot, or null when all are busy. */
  free(): ProbeSlot | null {
    for (const s of this.all) if (!s.busy) return s;
    return null;
  }

  take(s: ProbeSlot, target: TargetStatus, baseline: boolean, now: number, timeoutMs: number): void {
    s.busy = true;
    s.sentAt = now;
    s.target = target;
    s.baseline = baseline;
    s.timeoutMs = timeoutMs;
  }

  /** Give up on the probe in `s`: whatever the platform says of it later is not heard. */
  abandon(s: ProbeSlot): void {
    s.busy = false;
    this.#renew(s);
  }

  #renew(s: ProbeSlot): void {
    const done = (r: ProbeResult): void => {
      if (!s.busy || s.done !== done) return; // given up on earlier; the platform answered late
      s.busy = false;
      this.#answered(s, r);
    };
    s.done = done;
  }
}

const NOOP = (): void => {};
