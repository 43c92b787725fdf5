// What an uplink's own traffic says about it, read from the interface counters (the Traffic port).
//
// Packets received prove the path forwards, whoever asked for them. Users' packets sent with
// nothing received since, for longer than their usual spacing makes likely, is a reason to look
// closer (the monitor then probes fast; it never calls a link down on traffic alone, since users
// may simply have stopped). How busy the link is decides how much probing it still needs.
import type { Traffic, TrafficCounters } from "../ports";

/** Time constant of the users' packet rate estimate. */
const RATE_TAU_MS = 2000;

export class TrafficWatch {
  #port: Traffic;
  #link: string;
  #c: TrafficCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, lastRxAt: -1 };
  #prevRx = 0;
  #prevTx = 0;
  #prevAt = -1;
  #rxPps = 0;
  #waitingSince = -1;
  /** The last poll saw packets arrive. */
  received = false;
  /** When the last packet arrived (-1: none seen). */
  lastRxAt = -1;

  constructor(port: Traffic, link: string) {
    this.#port = port;
    this.#link = link;
  }

  /** Users' downstream packets per second (the monitor's own probe replies taken out). */
  get rxPps(): number { return this.#rxPps; }

  /** How long packets have been going out with nothing coming back (0: not waiting). */
  waitingMs(now: number): number {
    return this.#waitingSince < 0 ? 0 : now - this.#waitingSince;
  }

  /**
   * How long the users' packets may stay away before that is suspicious: about `packets` of their
   * usual spacing (a Poisson stream is that quiet by chance about e^-packets of the time), never
   * less than the path's smoothed RTT (an answer takes that long). Not the RTO: on a jittery path
   * it is held at 1.5 x the peak RTT, a second or more, and suspicion only costs fast probes.
   */
  quietMs(packets: number, srttMs: number): number {
    const spacing = this.#rxPps > 0 ? (packets * 1000) / this.#rxPps : Infinity;
    return spacing > srttMs ? spacing : srttMs;
  }

  /**
   * Read the counters. `ownReplies` is how many probe replies arrived since the last poll (not
   * users' traffic). False when the platform has no counters for this link.
   */
  poll(now: number, ownReplies: number): boolean {
    const c = this.#c;
    if (!this.#port.read(this.#link, c)) return false;
    this.received = false;
    if (this.#prevAt < 0) {
      this.#prevAt = now;
      this.#prevRx = c.rxPackets;
      this.#prevTx = c.txPackets;
      this.lastRxAt = c.lastRxAt;
      return true;
    }
    const dt = now - this.#prevAt;
    const drx = c.rxPackets - this.#prevRx, dtx = c.txPackets - this.#prevTx;
    // While packets go out and none come back the rate is held: a cut must not make the link look idle.
    if (dt > 0 && !(drx === 0 && dtx > 0)) {
      const users = drx > ownReplies ? drx - ownReplies : 0;
      this.#rxPps += ((users * 1000) / dt - this.#rxPps) * (dt / (RATE_TAU_MS + dt));
    }
    if (drx > 0) {
      this.received = true;
      this.lastRxAt = c.lastRxAt;
      this.#waitingSince = -1;
    } else if (dtx > 0 && this.#waitingSince < 0) {
      // Sent at some point since the previous poll; counting from then errs towards patience.
      this.#waitingSince = this.#prevAt;
    }
    this.#prevAt = now;
    this.#prevRx = c.rxPackets;
    this.#prevTx = c.txPackets;
    return true;
  }

  /** Forget the rate (the link stopped carrying users: it lost the default route or went down). */
  idle(): void {
    this.#rxPps = 0;
    this.#waitingSince = -1;
  }
}
