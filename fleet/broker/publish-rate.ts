// Each device's publish rate, on the embedded broker: a token bucket per device login. Mosquitto
// 2.0 has no such option (see README, Security: its limits bound sizes and queues, not rates), so
// production leans on the collector's per-router quotas and the firewall; the embedded broker of
// npm start does it here.
//
// What a device sends legitimately: a heartbeat every heartbeatMs (1 s at the fastest config), an
// event per state change (dampened), and after an outage its whole offline queue at once (at most
// 200 events) with a birth and a state. So 300 at once, then 5 a second: no device that follows
// the firmware ever meets it. Beyond it, publishes are dropped (QoS 1 ones still acknowledged:
// a retry would only add to the flood) and counted per login, and a device that keeps going (600
// drops within a minute) is disconnected; its reconnects back off in the firmware. Its will still
// goes out (the broker publishes it, not the device).
import { RateLimit } from "../../src/config/rate-limit";

export interface PublishRateOptions {
  /** Publishes at once. */
  burst: number;
  /** Publishes a second after the burst. */
  perSecond: number;
  /** Drops within a minute after which the connection is closed. */
  disconnectAfterDrops: number;
}

export const DEVICE_PUBLISH: PublishRateOptions = { burst: 300, perSecond: 5, disconnectAfterDrops: 600 };

export type Verdict = "pass" | "drop" | "disconnect";

interface Meter { bucket: RateLimit; windowAt: number; windowDrops: number }

export class PublishRates {
  /** Publishes dropped per login since the broker started. */
  readonly dropped = new Map<string, number>();
  /** Connections closed for sustained abuse, per login. */
  readonly disconnected = new Map<string, number>();
  #meters = new Map<string, Meter>();

  constructor(private readonly o: PublishRateOptions = DEVICE_PUBLISH, private readonly now: () => number = () => performance.now()) {}

  /** One publish by `login`: pass it, drop it, or drop it and close the connection. */
  take(login: string): Verdict {
    const now = this.now();
    let m = this.#meters.get(login);
    // One meter per device login the broker knows (the ACL's devices), kept across reconnects:
    // reconnecting must not refill the bucket.
    if (!m) this.#meters.set(login, (m = { bucket: new RateLimit(this.o.burst, 1000 / this.o.perSecond, now), windowAt: now, windowDrops: 0 }));
    if (m.bucket.take(now)) return "pass";
    this.dropped.set(login, (this.dropped.get(login) ?? 0) + 1);
    if (now - m.windowAt >= 60000) { m.windowAt = now; m.windowDrops = 0; }
    if (++m.windowDrops < this.o.disconnectAfterDrops) return "drop";
    m.windowDrops = 0;
    m.windowAt = now;
    this.disconnected.set(login, (this.disconnected.get(login) ?? 0) + 1);
    return "disconnect";
  }

  get totalDropped(): number {
    let n = 0;
    for (const v of this.dropped.values()) n += v;
    return n;
  }
}
