// The firmware paces what it tells the fleet about link states. A carrier that flaps every second
// makes two link-state changes a second (7,002 events in an hour in the simulator), each a QoS 1
// publish that the broker, the collectors and the history all pay for, and that the collector's
// per-router quota would drop anyway. Dampening keeps such a link from carrying traffic; the fleet
// needs to know it flaps, not every flap. So per link: 10 link-state events at once, then one per
// 30 s; the rest are counted (the heartbeat's eventsPaced) and the heartbeat still carries every
// link's current state. Failovers, failbacks and every other event type are never paced: their
// causes are bounded already (hold-down, dampening, the watchdog's ladder, rate-limited
// rejections). The router's own event log keeps every change; only what is published is paced.
import { RateLimit } from "../config/rate-limit";

export const LINK_STATE_BURST = 10;
export const LINK_STATE_EVERY_MS = 30000;

export class EventPacer {
  /** Events not published since boot. */
  paced = 0;
  #perLink = new Map<string, RateLimit>();

  constructor(private readonly now: () => number) {}

  /** Whether an event of this type (on this link) may be published now. */
  allow(type: string, link: string | undefined): boolean {
    if (type !== "link-state" || link === undefined) return true;
    let bucket = this.#perLink.get(link);
    // Links are the device's own uplinks (a handful), so the map stays small.
    if (!bucket) this.#perLink.set(link, (bucket = new RateLimit(LINK_STATE_BURST, LINK_STATE_EVERY_MS, this.now())));
    if (bucket.take(this.now())) return true;
    this.paced++;
    return false;
  }
}
