// npm run collector -- --broker URL --db postgres://... [options]
// The fleet history collector on its own (production): a shared subscription on the broker, the
// database (PostgreSQL; migrations applied at start), the retention job, and an HTTP port with
// /api/history/* and /metrics. Run several with the same --group and different logins to split
// the stream. SIGINT/SIGTERM/SIGHUP flush what is pending and leave the session on the broker.
// The broker login is a client certificate (--cert/--key over mqtts://) or a password, never sent
// in the clear off loopback. The HTTP port answers only to its own Host names, needs a bearer
// token when given one, and listens off loopback only over TLS with a token.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { createServer, type RequestListener } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { startFleetHistory } from "../fleet-history";
import { DEFAULT_RETENTION } from "../db/retention";
import { admit, hostNames, type HttpGuard } from "../api/http-guard";
import { checkBrokerUrl, isLoopback } from "../broker/url-policy";
import { flags, runTool, unknownOption, UsageError } from "./args";

const USAGE = `usage: npm run collector -- --broker mqtt://host:port --db postgres://user@host:port/db
  [--username collector-1] [--password-file FILE | env COLLECTOR_PASSWORD] [--creds creds.json (what npm run broker wrote)]
  [--client-id ID] [--group fleet-history | --no-share] [--http-port 9464] [--http-host 127.0.0.1]
  [--events-days ${DEFAULT_RETENTION.eventsDays}] [--minutes-days ${DEFAULT_RETENTION.minutesDays}] [--hours-days ${DEFAULT_RETENTION.hoursDays}] [--flush-ms 1000] [--rollup-flush-ms MS]
  [--ca FILE] [--cert FILE --key FILE (mqtts:// client certificate: the login, no password)] [--allow-plaintext]
  [--http-token-file FILE | env COLLECTOR_HTTP_TOKEN] [--http-tls-cert FILE --http-tls-key FILE] [--http-allow-host NAME]...`;

interface Args {
  broker: string; db: string; username: string; password: string | null; clientId?: string; group: string | null;
  httpPort: number; httpHost: string; eventsDays: number; minutesDays: number; hoursDays: number; flushMs: number; rollupFlushMs?: number; ca?: string; credsFile?: string;
  cert?: string; key?: string; allowPlaintext: boolean; httpToken: string | null; httpTlsCert?: string; httpTlsKey?: string; httpAllowHosts: string[];
}

function parse(argv: string[]): Args {
  const a: Args = { broker: "", db: "", username: "collector-1", password: process.env.COLLECTOR_PASSWORD ?? null, group: "fleet-history",
    httpPort: 9464, httpHost: "127.0.0.1", eventsDays: DEFAULT_RETENTION.eventsDays, minutesDays: DEFAULT_RETENTION.minutesDays, hoursDays: DEFAULT_RETENTION.hoursDays, flushMs: 1000,
    allowPlaintext: false, httpToken: process.env.COLLECTOR_HTTP_TOKEN || null, httpAllowHosts: [] };
  const num = (k: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${k} must be an integer from ${min} to ${max}`);
    return n;
  };
  for (const { flag: k, value: v } of flags(argv, USAGE)) {
    if (k === "--broker") a.broker = v();
    else if (k === "--db") a.db = v();
    else if (k === "--username") a.username = v();
    else if (k === "--password-file") a.password = readFileSync(v(), "utf8").trim();
    else if (k === "--creds") a.credsFile = v();
    else if (k === "--client-id") a.clientId = v();
    else if (k === "--group") a.group = v();
    else if (k === "--no-share") a.group = null;
    else if (k === "--http-port") a.httpPort = num(k, v(), 0, 65535);
    else if (k === "--http-host") a.httpHost = v();
    else if (k === "--events-days") a.eventsDays = num(k, v(), 1, 3650);
    else if (k === "--minutes-days") a.minutesDays = num(k, v(), 1, 3650);
    else if (k === "--hours-days") a.hoursDays = num(k, v(), 1, 3650);
    else if (k === "--flush-ms") a.flushMs = num(k, v(), 50, 60000);
    else if (k === "--rollup-flush-ms") a.rollupFlushMs = num(k, v(), 100, 600000);
    else if (k === "--ca") a.ca = v();
    else if (k === "--cert") a.cert = v();
    else if (k === "--key") a.key = v();
    else if (k === "--allow-plaintext") a.allowPlaintext = true;
    else if (k === "--http-token-file") a.httpToken = readFileSync(v(), "utf8").trim();
    else if (k === "--http-tls-cert") a.httpTlsCert = v();
    else if (k === "--http-tls-key") a.httpTlsKey = v();
    else if (k === "--http-allow-host") a.httpAllowHosts.push(v().toLowerCase());
    else throw unknownOption(k);
  }
  try {
    checkBrokerUrl(a.broker, a.allowPlaintext);
  } catch (e) { throw new UsageError((e as Error).message); }
  if (!a.cert !== !a.key) throw new UsageError("--cert and --key go together (the collector's client certificate and its key)");
  if (a.cert && !a.broker.startsWith("mqtts://")) throw new UsageError("--cert/--key: the broker URL must be mqtts://");
  if (!a.httpTlsCert !== !a.httpTlsKey) throw new UsageError("--http-tls-cert and --http-tls-key go together");
  if (!isLoopback(a.httpHost) && (!a.httpTlsCert || !a.httpToken)) {
    throw new Error(`--http-host ${a.httpHost}: off loopback the history port needs TLS (--http-tls-cert/--http-tls-key) and a login (--http-token-file): it serves the whole fleet's history`);
  }
  if (a.httpToken !== null && !/^[\x21-\x7e]{16,512}$/.test(a.httpToken)) throw new Error("the HTTP token must be 16-512 printable characters without spaces");
  if (!a.db) throw new UsageError("--db is required: a postgres:// URL (or a directory for an embedded PGlite database)");
  if (a.group !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(a.group)) throw new UsageError("--group: letters, digits, _ and - (a shared-subscription group name)");
  if (a.credsFile) {
    const c = JSON.parse(readFileSync(a.credsFile, "utf8")) as { ca?: string; collectors?: Array<{ username: string; password: string; cert?: string; key?: string }> };
    const me = c.collectors?.find((x) => x.username === a.username);
    if (!me) throw new Error(`${a.credsFile} has no login for ${a.username} (it has: ${(c.collectors ?? []).map((x) => x.username).join(", ") || "no collectors"})`);
    a.password = me.password;
    const here = (p: string) => (isAbsolute(p) ? p : join(dirname(a.credsFile as string), p));
    // Over TLS the file's certificate is the login (and its CA the only one trusted).
    if (a.broker.startsWith("mqtts://") && me.cert && me.key && !a.cert) { a.cert = here(me.cert); a.key = here(me.key); }
    if (/^(mqtts|wss):/.test(a.broker) && c.ca && !a.ca) a.ca = here(c.ca);
  }
  if (a.password === null && !a.cert) throw new UsageError("no login: --cert/--key, --password-file, --creds or COLLECTOR_PASSWORD");
  return a;
}

async function main(argv: string[]): Promise<void> {
  const a = parse(argv);
  const history = await startFleetHistory({
    brokerUrl: a.broker, username: a.username, password: a.cert ? "" : a.password as string, clientId: a.clientId, db: a.db, shareGroup: a.group,
    retention: { eventsDays: a.eventsDays, minutesDays: a.minutesDays, hoursDays: a.hoursDays }, flushMs: a.flushMs, rollupFlushMs: a.rollupFlushMs,
    mqtt: {
      ...(a.ca ? { ca: readFileSync(a.ca), rejectUnauthorized: true } : {}),
      // The certificate is the login: Mosquitto takes its CN as username and client id, no password is sent.
      ...(a.cert ? { cert: readFileSync(a.cert), key: readFileSync(a.key as string), username: undefined, password: undefined } : {}),
    },
    log: (s) => console.error(`${new Date().toISOString()} ${s}`),
  });
  const guard: HttpGuard = { hosts: new Set(), token: a.httpToken };
  const listener: RequestListener = (req, res) => {
    if (!admit(guard, req, res)) return;
    if (!history.handler(req, res)) { res.writeHead(404, { "content-type": "application/json" }); res.end('{"error":"not found"}'); }
  };
  const server = a.httpTlsCert
    ? createHttpsServer({ cert: readFileSync(a.httpTlsCert), key: readFileSync(a.httpTlsKey as string), minVersion: "TLSv1.2" }, listener)
    : createServer(listener);
  await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(a.httpPort, a.httpHost, () => resolve()); });
  const port = (server.address() as { port: number }).port;
  guard.hosts = hostNames(a.httpHost, port, a.httpAllowHosts);
  const name = a.httpHost.includes(":") ? `[${a.httpHost}]` : a.httpHost;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    await history.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  // A closed terminal (SIGHUP) must not kill it without its final flush.
  process.once("SIGHUP", () => void stop());
  // Last: whoever waits for this line may signal at once, and the handlers must be in place.
  console.log(`collector ${history.collector.clientId} on ${a.broker}${a.group ? ` (shared group ${a.group})` : ""} -> ${history.db.where}; ` +
    `${a.httpTlsCert ? "https" : "http"}://${name}:${port}/metrics and /api/history/${a.httpToken ? " (bearer token required)" : ""}`);
}

runTool(USAGE, main);
