// Prober on the ESP32 board. ICMP goes through the netif native module, bound to the link's
// interface, so standby links are probed without touching the default route. TCP connect, DNS and
// HTTP use Moddable's sockets, which follow the default route: on the active link they run as
// asked; on a standby link they fall back to an ICMP echo to the same host (Moddable's sockets
// cannot be bound to an interface).
import Netif from "netif";
import type { ProbeTarget, Prober } from "../../src/ports";
import type { BoardUplinks } from "./uplinks";
import { dnsProbe, failSoon, httpProbe, tcpProbe, type Done } from "./probes";

function icmp(ifkey: string, host: string, timeoutMs: number, done: Done): void {
  Netif.ping(ifkey, host, timeoutMs, (rtt) => done(rtt >= 0 ? { ok: true, rttMs: rtt } : { ok: false, rttMs: 0, reason: "timeout" }));
}

export function createProber(uplinks: BoardUplinks): Prober {
  return {
    probe(link: string, t: ProbeTarget, timeoutMs: number, done: Done): void {
      const w = uplinks.wiring(link);
      const onDefault = uplinks.defaultLink()?.name === link;
      try {
        if (t.kind === "icmp" || !onDefault) return icmp(w.ifkey, t.host, timeoutMs, done);
        if (t.kind === "tcp") return tcpProbe(t.host, t.port ?? 443, timeoutMs, done);
        if (t.kind === "dns") return dnsProbe(t.host, t.name ?? "example.com", timeoutMs, done);
        return httpProbe(t.host, t.port ?? 80, t.name ?? "/", timeoutMs, done);
      } catch {
        // lwIP out of sockets, DNS queue full or a bad address: a failed probe, not a crashed loop.
        failSoon(done, "no-socket");
      }
    },
  };
}
