// Prober on the desktop build: every probe over a link goes to the link's loopback address (its
// path, see links.ts), at the target's port; the target's host only says which target the reply
// counts for. TCP, DNS and HTTP are real sockets. ICMP is not: the SDK's lin raw-socket code drops
// echo replies (modules/network/socket/lin/modSocket.c), so an ICMP target fails at once as
// unreachable; give desktop links tcp, dns or http targets.
import type { ProbeTarget, Prober } from "../../src/ports";
import { dnsProbe, failSoon, httpProbe, tcpProbe, type Done } from "../ports/probes";
import type { DesktopUplinks } from "./uplinks";

export function createDesktopProber(uplinks: DesktopUplinks): Prober {
  return {
    probe(link: string, t: ProbeTarget, timeoutMs: number, done: Done): void {
      try {
        const via = uplinks.via(link);
        if (t.kind === "icmp") return failSoon(done, "unreachable");
        if (t.kind === "tcp") return tcpProbe(via, t.port ?? 443, timeoutMs, done);
        if (t.kind === "dns") return dnsProbe(via, t.name ?? "example.com", timeoutMs, done);
        return httpProbe(via, t.port ?? 80, t.name ?? "/", timeoutMs, done);
      } catch {
        // Out of sockets or a bad address: a failed probe, not a crashed loop.
        failSoon(done, "no-socket");
      }
    },
  };
}
