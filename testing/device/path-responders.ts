// What answers at the far end of a simulated uplink on the desktop build: on one loopback address
// per link, a TCP listener (tcp probes), an HTTP server (HEAD /), and a DNS server on port 53 that
// answers every A question with 127.0.0.1 (dns probes). Blackholing the address cuts them all.
// Port 53 needs root, as iptables does.
import { createServer as createTcp, type Server as TcpServer } from "node:net";
import { createServer as createHttp, type Server as HttpServer } from "node:http";
import { createSocket, type Socket } from "node:dgram";

export interface PathResponders {
  address: string;
  tcpPort: number;
  httpPort: number;
  /** Queries and connections answered, per kind (a blackholed path stops counting). */
  answered: { tcp: number; http: number; dns: number };
  close(): Promise<void>;
}

function listen(server: TcpServer | HttpServer, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => resolve((server.address() as { port: number }).port));
  });
}

/** A DNS answer: the question echoed, one A record 127.0.0.1. Anything malformed is dropped. */
export function dnsAnswer(query: Buffer): Buffer | null {
  if (query.length < 12 || query.length > 512) return null;
  if (query.readUInt16BE(4) !== 1) return null;
  let at = 12;
  while (at < query.length && query[at] !== 0) {
    if (query[at] > 63) return null;
    at += query[at] + 1;
  }
  const questionEnd = at + 5;
  if (questionEnd > query.length) return null;
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(0x8180, 2); // response, recursion desired + available, no error
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
  return Buffer.concat([header, query.subarray(12, questionEnd), answer]);
}

async function startOne(address: string, tcpPort: number, httpPort: number, extraTcpPorts: number[]): Promise<PathResponders> {
  const answered = { tcp: 0, http: 0, dns: 0 };
  // Accept and wait for the client to hang up, as a real service does (a TLS server waits for the
  // ClientHello). A server that closes at once looks refused on lin: the SDK's socket reports the
  // end of stream and suppresses "writable" in the same poll.
  const tcps = [tcpPort, ...extraTcpPorts].map(() => createTcp((c) => {
    answered.tcp++;
    c.on("error", () => {});
    c.on("end", () => c.end());
    c.setTimeout(3000, () => c.destroy());
  }));
  const http = createHttp((_req, res) => { answered.http++; res.writeHead(204); res.end(); });
  http.keepAliveTimeout = 100;
  const dns: Socket = createSocket("udp4");
  const closeAll = async () => {
    http.closeAllConnections();
    await Promise.all([
      ...tcps.map((t) => new Promise((r) => t.close(() => r(null)))),
      new Promise((r) => http.close(() => r(null))),
      new Promise((r) => { try { dns.close(() => r(null)); } catch { r(null); } }),
    ]);
  };
  try {
    const ports = [tcpPort, ...extraTcpPorts];
    for (let i = 0; i < tcps.length; i++) ports[i] = await listen(tcps[i], address, ports[i]);
    httpPort = await listen(http, address, httpPort);
    dns.on("message", (msg, rinfo) => {
      const reply = dnsAnswer(msg);
      if (!reply) return;
      answered.dns++;
      dns.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => { dns.once("error", reject); dns.bind(53, address, () => resolve()); });
    dns.on("error", () => {});
    return { address, tcpPort: ports[0], httpPort, answered, close: closeAll };
  } catch (e) {
    await closeAll().catch(() => {});
    throw e;
  }
}

/**
 * Responders on each address, with the same TCP and HTTP ports on all of them (probe targets name
 * one port), plus TCP on `extraTcpPorts` (e.g. 443 for the default config's tcp target).
 */
export async function startPathResponders(addresses: readonly string[], extraTcpPorts: number[] = []): Promise<PathResponders[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const started: PathResponders[] = [];
    try {
      let tcpPort = 0;
      let httpPort = 0;
      for (const a of addresses) {
        const r = await startOne(a, tcpPort, httpPort, extraTcpPorts);
        tcpPort = r.tcpPort;
        httpPort = r.httpPort;
        started.push(r);
      }
      return started;
    } catch (e) {
      await Promise.all(started.map((r) => r.close()));
      // The port picked on the first address was taken on another: pick again.
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt === 4) throw e;
    }
  }
  throw new Error("unreachable");
}
