// Who may ask the collector's HTTP port (/api/history, /metrics): the whole fleet's history is
// behind it. A request must name this server in its Host header (a DNS-rebinding page in a
// browser names its own host, so it is turned away even on loopback), and, when the port has a
// login, carry it as a bearer token (Prometheus: `authorization: { credentials_file: ... }`).
import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface HttpGuard {
  /** Host header values this server answers to (filled in once the port is known). */
  hosts: Set<string>;
  /** Bearer token required on every request, or null (loopback only). */
  token: string | null;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when the request may go on; otherwise the answer (421 not this host / 401 login) has been sent. */
export function admit(g: HttpGuard, req: IncomingMessage, res: ServerResponse): boolean {
  const host = (req.headers.host ?? "").toLowerCase();
  if (!g.hosts.has(host)) {
    res.writeHead(421, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: `this server does not answer for host '${host.slice(0, 100)}'` }));
    return false;
  }
  if (g.token !== null) {
    const m = /^Bearer (\S{1,512})$/.exec(req.headers.authorization ?? "");
    // Compared as digests: equal length whatever was sent, so the comparison time says nothing.
    if (!m || !timingSafeEqual(digest(m[1]), digest(g.token))) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="fleet-collector"' });
      res.end('{"error":"login required: Authorization: Bearer <token>"}');
      return false;
    }
  }
  return true;
}

/** The Host values a server bound to `host`:`port` answers to, plus `extra` names (a DNS name in front of it). */
export function hostNames(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const name = host.includes(":") ? `[${host}]` : host;
  const names = [`${name}:${port}`, ...extra.map((h) => (h.includes(":") ? h : `${h}:${port}`))];
  if (/^127\./.test(host) || host === "::1" || host === "localhost") names.push(`localhost:${port}`);
  return new Set(names.map((h) => h.toLowerCase()));
}
