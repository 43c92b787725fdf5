// The probes a link has in flight: a fixed set of slots, allocated once, so sending a probe
// allocates nothing. Each slot owns the callback the platform answers on; a probe we gave up on
// (abandoned, stuck) gets its slot a fresh callback, so the platform's late answer to it finds a
// callback that is no longer the slot's and is ignored.
//
// An ICMP echo needs no socket of its own: the platform sends every echo of a link through one
// ICMP endpoint and matches replies by sequence number (as dpinger does), so a link may have
// `echoesInFlight` of them out at once. Any other probe (TCP, DNS, HTTP) holds one socket of the
// shared SocketBudget from its send until its answer or abandonment. A slot is not handed out
// again while its answer is being handled, and its socket goes back only after: a probe queued
// for a socket would otherwise take the slot at once and the answer be read as its own.
import type { Prober, ProbeResult } from "../ports";
import type { SocketBudget } from "./socket-budget";
import type { TargetStatus } from "./targets";

export interface ProbeSlot {
  busy: boolean;
  /** Its answer is being handled: free, but not to be handed out yet. */
  answering: boolean;
  sentAt: number;
  timeoutMs: number;
  target: TargetStatus | null;
  /** A baseline probe (counted in the loss window), not a fast one. */
  baseline: boolean;
  /** It holds a socket of the shared budget (any probe but an ICMP echo). */
  socket: boolean;
  /** What the platform calls with this probe's result. */
  done: (result: ProbeResult) => void;
}

/** What an abandoned stuck probe counts as. */
export const STUCK: ProbeResult = { ok: false, rttMs: 0, reason: "timeout" };

export class ProbeSlots {
  readonly all: readonly ProbeSlot[];
  #link: string;
  #prober: Prober;
  #budget: SocketBudget;
  #answered: (slot: ProbeSlot, result: ProbeResult) => void;
  /** Probes waiting for a socket. */
  #pending = 0;

  /**
   * `size` slots (the most probes the link may have out, echoes included); `answered` runs once
   * per probe, with the platform's result or STUCK, after its socket is released.
   */
  constructor(size: number, link: string, prober: Prober, budget: SocketBudget, answered: (slot: ProbeSlot, result: ProbeResult) => void) {
    this.#link = link;
    this.#prober = prober;
    this.#budget = budget;
    this.#answered = answered;
    const all: ProbeSlot[] = [];
    for (let i = 0; i < size; i++) {
      const s: ProbeSlot = { busy: false, answering: false, sentAt: 0, timeoutMs: 0, target: null, baseline: true, socket: false, done: NOOP };
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

  get pending(): number { return this.#pending; }

  /** Every slot busy or spoken for by a probe waiting for its socket. */
  get full(): boolean { return this.#pending + this.busyCount() >= this.all.length; }

  /** Handle an answer with the slot kept out of reach, then give its socket back. */
  #answer(s: ProbeSlot, r: ProbeResult): void {
    s.answering = true;
    this.#answered(s, r);
    s.answering = false;
    if (s.socket) this.#budget.release();
  }

  /**
   * Make way for a probe: an echo at once, any other once the shared budget grants it a socket.
   * `granted(socket)` sends the probe, or hands the socket back with `unused`.
   */
  request(urgent: boolean, echo: boolean, granted: (socket: boolean) => void): void {
    if (echo) return granted(false);
    this.#pending++;
    this.#budget.request(urgent, () => { this.#pending--; granted(true); });
  }

  /** A granted probe was not sent after all (the carrier went, or the slots filled). */
  unused(socket: boolean): void {
    if (socket) this.#budget.release();
  }

  /** The first free slot, or null when all are busy. */
  free(): ProbeSlot | null {
    for (const s of this.all) if (!s.busy && !s.answering) return s;
    return null;
  }

  /** Send a probe from the free slot `s` (its socket already granted). */
  send(s: ProbeSlot, target: TargetStatus, baseline: boolean, now: number, timeoutMs: number, socket: boolean): void {
    s.busy = true;
    s.socket = socket;
    s.sentAt = now;
    s.target = target;
    s.baseline = baseline;
    s.timeoutMs = timeoutMs;
  }

  /** Hand the probe in `s` to the platform (after the monitor noted its send). */
  launch(s: ProbeSlot): void {
    this.#prober.probe(this.#link, (s.target as TargetStatus).target, s.timeoutMs, s.done);
  }

  /** Abandon probes the platform never answered within their timeout and `graceMs`; each counts as STUCK. */
  abandonStuck(now: number, graceMs: number): number {
    let n = 0;
    for (const s of this.all) {
      if (s.busy && now - s.sentAt > s.timeoutMs + graceMs) {
        n++;
        s.busy = false;
        this.#renew(s);
        this.#answer(s, STUCK);
      }
    }
    return n;
  }

  /** Give up on every probe in flight: whatever the platform says of them later is not heard. */
  abandonAll(): void {
    for (const s of this.all) if (s.busy) this.#abandon(s);
  }

  #abandon(s: ProbeSlot): void {
    s.busy = false;
    this.#renew(s);
    if (s.socket) this.#budget.release();
  }

  #renew(s: ProbeSlot): void {
    const done = (r: ProbeResult): void => {
      if (!s.busy || s.done !== done) return; // given up on earlier; the platform answered late
      s.busy = false;
      this.#answer(s, r);
    };
    s.done = done;
  }
}

const NOOP = (): void => {};
