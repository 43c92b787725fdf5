// Prober on the device. ICMP goes through the netif native module, bound to the link's interface,
// so standby links are probed without touching the default route. TCP connect, DNS and HTTP use
// Moddable's socket, Net.resolve and Request, which follow the default route: on the active link
// they run as asked; on a standby link they fall back to an ICMP echo to the same host (Moddable's
// sockets cannot be bound to an interface).
import TCP from "embedded:io/socket/tcp";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import { Request } from "http";
import Timer from "timer";
import Time from "time";
import Netif from "netif";
import type { ProbeResult, ProbeTarget, Prober } from "../../src/ports";
import type { BoardUplinks } from "./uplinks";

type Done = (r: ProbeResult) => void;

/** Calls `done` once: the first of the answer and the timeout wins. */
function once(timeoutMs: number, done: Done, cleanup: () => void): { finish: (r: ProbeResult) => void; started: number } {
  const started = Time.ticks;
  let finished = false;
  const timer = Timer.set(() => finish({ ok: false, rttMs: 0, reason: "timeout" }), timeoutMs);
  function finish(r: ProbeResult): void {
    if (finished) return;
    finished = true;
    Timer.clear(timer);
    cleanup();
    done(r);
  }
  return { finish, started };
}

function icmp(ifkey: string, host: string, timeoutMs: number, done: Done): void {
  Netif.ping(ifkey, host, timeoutMs, (rtt) => done(rtt >= 0 ? { ok: true, rttMs: rtt } : { ok: false, rttMs: 0, reason: "timeout" }));
}

function tcp(host: string, port: number, timeoutMs: number, done: Done): void {
  let socket: TCP | null = null;
  const p = once(timeoutMs, done, () => socket?.close());
  socket = new TCP({
    address: host, port,
    onWritable() { p.finish({ ok: true, rttMs: Time.ticks - p.started }); },
    onError() { p.finish({ ok: false, rttMs: 0, reason: "refused" }); },
  });
}

/** Asks the target's own server, not the system resolver: DNS health is per resolver. */
function dns(server: string, name: string, timeoutMs: number, done: Done): void {
  let resolver: Resolver | null = null;
  const p = once(timeoutMs, done, () => resolver?.close());
  resolver = new Resolver({ servers: [server], socket: { io: UDP } });
  resolver.resolve({
    host: name,
    onResolved: () => { p.finish({ ok: true, rttMs: Time.ticks - p.started }); return null; },
    onError: () => { p.finish({ ok: false, rttMs: 0, reason: "dns" }); return null; },
  });
}

function http(host: string, path: string, timeoutMs: number, done: Done): void {
  let req: Request | null = null;
  const p = once(timeoutMs, done, () => req?.close());
  req = new Request({ host, path, method: "HEAD", response: String });
  req.callback = (message: number, value?: unknown) => {
    if (message === 1) {
      const status = Number(value);
      p.finish(status >= 200 && status < 400 ? { ok: true, rttMs: Time.ticks - p.started } : { ok: false, rttMs: 0, reason: "http" });
    } else if (message < 0) {
      p.finish({ ok: false, rttMs: 0, reason: "unreachable" });
    }
  };
}

export function createProber(uplinks: BoardUplinks): Prober {
  return {
    probe(link: string, t: ProbeTarget, timeoutMs: number, done: Done): void {
      const w = uplinks.wiring(link);
      const onDefault = uplinks.defaultLink()?.name === link;
      try {
        if (t.kind === "icmp" || !onDefault) return icmp(w.ifkey, t.host, timeoutMs, done);
        if (t.kind === "tcp") return tcp(t.host, t.port ?? 443, timeoutMs, done);
        if (t.kind === "dns") return dns(t.host, t.name ?? "example.com", timeoutMs, done);
        return http(t.host, t.name ?? "/", timeoutMs, done);
      } catch {
        // lwIP out of sockets or DNS queue full: a failed probe, not a crashed loop.
        Timer.set(() => done({ ok: false, rttMs: 0, reason: "no-socket" }), 0);
      }
    },
  };
}
