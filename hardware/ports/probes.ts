// One probe of each socket kind to an address, shared by the boards' probers. Each calls `done`
// exactly once: the first of the answer, an error and the timeout wins. Sockets are closed on a
// fresh turn, never from inside the SDK's own callback (the legacy http module keeps using its
// socket after the callback returns).
import TCP from "embedded:io/socket/tcp";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import { Request } from "http";
import Timer from "timer";
import Time from "time";
import type { ProbeResult } from "../../src/ports";

export type Done = (r: ProbeResult) => void;

interface Attempt {
  finish(r: ProbeResult): void;
  ok(): void;
}

function attempt(timeoutMs: number, done: Done, cleanup: () => void): Attempt {
  const started = Time.ticks;
  let finished = false;
  const timer = Timer.set(() => finish({ ok: false, rttMs: 0, reason: "timeout" }), timeoutMs);
  function finish(r: ProbeResult): void {
    if (finished) return;
    finished = true;
    Timer.clear(timer);
    Timer.set(() => {
      try { cleanup(); } catch { /* already closed by the SDK */ }
    }, 0);
    done(r);
  }
  return { finish, ok: () => finish({ ok: true, rttMs: Math.max(0, Time.ticks - started) }) };
}

/** A TCP connect: the handshake completing is the answer; a refusal is a failed probe. */
export function tcpProbe(address: string, port: number, timeoutMs: number, done: Done): void {
  let socket: TCP | null = null;
  const a = attempt(timeoutMs, done, () => socket?.close());
  socket = new TCP({
    address, port,
    onWritable() { a.ok(); },
    onError() { a.finish({ ok: false, rttMs: 0, reason: "refused" }); },
  });
}

/** An A query to the given server, not the system resolver: DNS health is per resolver. */
export function dnsProbe(server: string, name: string, timeoutMs: number, done: Done): void {
  let resolver: Resolver | null = null;
  const a = attempt(timeoutMs, done, () => resolver?.close());
  resolver = new Resolver({ servers: [server], socket: { io: UDP } });
  resolver.resolve({
    host: name,
    onResolved: () => { a.ok(); return null; },
    onError: () => { a.finish({ ok: false, rttMs: 0, reason: "dns" }); return null; },
  });
}

/** A HEAD request: any 2xx or 3xx status is an answer. */
export function httpProbe(address: string, port: number, path: string, timeoutMs: number, done: Done): void {
  let req: Request | null = null;
  const a = attempt(timeoutMs, done, () => req?.close());
  req = new Request({ host: address, port, path, method: "HEAD", response: String });
  req.callback = (message: number, value?: unknown) => {
    if (message === Request.status) {
      const status = Number(value);
      if (status >= 200 && status < 400) a.ok();
      else a.finish({ ok: false, rttMs: 0, reason: "http" });
    } else if (message < 0) {
      a.finish({ ok: false, rttMs: 0, reason: "unreachable" });
    }
  };
}

/** A probe that could not even start (no socket, bad address) fails on a fresh turn. */
export function failSoon(done: Done, reason: ProbeResult["reason"]): void {
  Timer.set(() => done({ ok: false, rttMs: 0, reason }), 0);
}
