// Prober on the desktop build: every probe over a link goes to the link's loopback address (its
// path, see links.ts), at the target's port; the target's host only says which target the reply
// counts for. TCP, DNS and HTTP are real sockets. ICMP only where the platform delivers echo
// replies (manifest config "icmp"); elsewhere an ICMP target fails at once as unreachable, so
// give desktop links tcp, dns or http targets.
import config from "mc/config";
import type { ProbeTarget, Prober } from "../../src/ports";
import { dnsProbe, failSoon, httpProbe, tcpProbe, type Done } from "../ports/probes";
import type { DesktopUplinks } from "./uplinks";
import { pingOnce } from "./ping";

const ICMP = String(config.icmp) === "true";

export function createDesktopProber(uplinks: DesktopUplinks): Prober {
  return {
    probe(link: string, t: ProbeTarget, timeoutMs: number, done: Done): void {
      try {
        const via = uplinks.via(link);
        if (t.kind === "icmp") {
          if (!ICMP) return failSoon(done, "unreachable");
          return pingOnce(via, timeoutMs, (rtt) => done(rtt >= 0 ? { ok: true, rttMs: rtt } : { ok: false, rttMs: 0, reason: "timeout" }));
        }
        if (t.kind === "tcp") return tcpProbe(via, t.port ?? 443, timeoutMs, done);
        if (t.kind === "dns") return dnsProbe(via, t.name ?? "example.com", timeoutMs, done);
        return httpProbe(via, t.port ?? 80, t.name ?? "/", timeoutMs, done);
      } catch {
        failSoon(done, "no-socket");
      }
    },
  };
}
