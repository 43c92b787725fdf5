// One ICMP echo with Moddable's ping module, for desktops whose raw sockets deliver replies (not
// lin: its socket code drops echo replies, so the lin manifest turns ICMP off). The module sends
// from inside its own DNS and timer callbacks, where a send to an unroutable address would throw
// past us and abort the VM; the subclass turns that into a failed echo.
import Ping from "ping";
import Timer from "timer";
import Time from "time";

interface PingInternals { ping(): void; failed(message: string): void }

class GuardedPing extends Ping {
  ping(): void {
    try {
      (Ping.prototype as unknown as PingInternals).ping.call(this);
    } catch {
      (this as unknown as PingInternals).failed("unreachable");
    }
  }
}

let nextId = 1;

/** Calls back once with the RTT in ms, or -1 for no reply within `timeoutMs`. */
export function pingOnce(address: string, timeoutMs: number, callback: (rttMs: number) => void): void {
  const started = Time.ticks;
  let ping: GuardedPing | null = null;
  let done = false;
  const finish = (rtt: number) => {
    if (done) return;
    done = true;
    Timer.clear(timer);
    Timer.set(() => ping?.close(), 0);
    callback(rtt);
  };
  const timer = Timer.set(() => finish(-1), timeoutMs);
  try {
    nextId = (nextId % 0xffff) + 1;
    // Ping calls back 1 for a reply, 2 for a missed interval, -1 for an error.
    ping = new GuardedPing({ host: address, id: nextId, interval: timeoutMs + 1000 }, (message) => finish(message === 1 ? Time.ticks - started : -1));
  } catch {
    // No raw socket (no privilege): no ICMP on this desktop.
    Timer.set(() => finish(-1), 0);
  }
}
