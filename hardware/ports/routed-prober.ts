// The prober of a board whose uplinks are real interfaces (the ESP32's netifs, the desktop build's
// Linux interfaces). ICMP goes out bound to the judged link's interface, so a standby is probed
// over itself without touching the default route. TCP connect, DNS and HTTP use Moddable's
// sockets, which follow the default route and cannot be bound: on the default link they run as
// asked; on a standby they fall back to an ICMP echo to the same host, and say so in the result
// (`reason` on a failure is the echo's; an answer is an answer from that host over that link).
import type { ProbeTarget, Prober } from "../../src/ports";
import { dnsProbe, failSoon, httpProbe, tcpProbe, type Done } from "./probes";

/** One ICMP echo bound to an interface: RTT in ms, or -1 when unanswered. */
export type BoundPing = (ifkey: string, host: string, timeoutMs: number, callback: (rttMs: number) => void) => void;

export interface ProbeRoutes {
  /** The interface key or name that `link` leaves by. */
  interfaceOf(link: string): string;
  /** True when `link` holds the default route now (its sockets' traffic leaves by it). */
  isDefault(link: string): boolean;
}

export function createRoutedProber(ping: BoundPing, routes: ProbeRoutes): Prober {
  const icmp = (ifkey: string, host: string, timeoutMs: number, done: Done) =>
    ping(ifkey, host, timeoutMs, (rtt) => done(rtt >= 0 ? { ok: true, rttMs: rtt } : { ok: false, rttMs: 0, reason: "timeout" }));
  return {
    probe(link: string, t: ProbeTarget, timeoutMs: number, done: Done): void {
      try {
        if (t.kind === "icmp") return icmp(routes.interfaceOf(link), t.host, timeoutMs, done);
        if (!routes.isDefault(link)) return icmp(routes.interfaceOf(link), t.host, timeoutMs, (r) => done({ ...r, sentAs: "icmp" }));
        if (t.kind === "tcp") return tcpProbe(t.host, t.port ?? 443, timeoutMs, done);
        if (t.kind === "dns") return dnsProbe(t.host, t.name ?? "example.com", timeoutMs, done);
        return httpProbe(t.host, t.port ?? 80, t.name ?? "/", timeoutMs, done);
      } catch {
        // Out of sockets, DNS queue full or a bad address: a failed probe, not a crashed loop.
        failSoon(done, "no-socket");
      }
    },
  };
}
