// npm run collector -- --broker URL --db postgres://... [options]
// The fleet history collector on its own (production): a shared subscription on the broker, the
// database (PostgreSQL; migrations applied at start), the retention job, and an HTTP port with
// /api/history/* and /metrics. Run several with the same --group and different logins to split
// the stream. SIGINT/SIGTERM flush what is pending and leave the session on the broker.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { startFleetHistory } from "../fleet-history";
import { DEFAULT_RETENTION } from "../db/retention";
import { flags } from "./args";

const USAGE = `usage: npm run collector -- --broker mqtt://host:port --db postgres://user@host:port/db
  [--username collector-1] [--password-file FILE | env COLLECTOR_PASSWORD] [--creds broker-creds.json]
  [--client-id ID] [--group fleet-history | --no-share] [--http-port 9464] [--http-host 127.0.0.1]
  [--events-days ${DEFAULT_RETENTION.eventsDays}] [--minutes-days ${DEFAULT_RETENTION.minutesDays}] [--hours-days ${DEFAULT_RETENTION.hoursDays}] [--flush-ms 1000] [--rollup-flush-ms MS] [--ca FILE]`;

interface Args {
  broker: string; db: string; username: string; password: string | null; clientId?: string; group: string | null;
  httpPort: number; httpHost: string; eventsDays: number; minutesDays: number; hoursDays: number; flushMs: number; rollupFlushMs?: number; ca?: string; credsFile?: string;
}

function parse(argv: string[]): Args {
  const a: Args = { broker: "", db: "", username: "collector-1", password: process.env.COLLECTOR_PASSWORD ?? null, group: "fleet-history",
    httpPort: 9464, httpHost: "127.0.0.1", eventsDays: DEFAULT_RETENTION.eventsDays, minutesDays: DEFAULT_RETENTION.minutesDays, hoursDays: DEFAULT_RETENTION.hoursDays, flushMs: 1000 };
  const num = (k: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${k} must be an integer from ${min} to ${max}\n${USAGE}`);
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
    else if (k === "--help" || k === "-h") { console.log(USAGE); process.exit(0); }
    else throw new Error(`unknown option ${k}\n${USAGE}`);
  }
  if (!/^(mqtts?|wss?):\/\/[^/]+/.test(a.broker)) throw new Error(`--broker must be an mqtt://, mqtts://, ws:// or wss:// URL\n${USAGE}`);
  if (!a.db) throw new Error(`--db is required: a postgres:// URL (or a directory for an embedded PGlite database)\n${USAGE}`);
  if (a.group !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(a.group)) throw new Error("--group: letters, digits, _ and - (a shared-subscription group name)");
  if (a.credsFile) {
    const c = JSON.parse(readFileSync(a.credsFile, "utf8")) as { collectors?: Array<{ username: string; password: string }> };
    const me = c.collectors?.find((x) => x.username === a.username);
    if (!me) throw new Error(`${a.credsFile} has no login for ${a.username}`);
    a.password = me.password;
  }
  if (a.password === null) throw new Error(`no password: --password-file, --creds or COLLECTOR_PASSWORD\n${USAGE}`);
  return a;
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const history = await startFleetHistory({
    brokerUrl: a.broker, username: a.username, password: a.password as string, clientId: a.clientId, db: a.db, shareGroup: a.group,
    retention: { eventsDays: a.eventsDays, minutesDays: a.minutesDays, hoursDays: a.hoursDays }, flushMs: a.flushMs, rollupFlushMs: a.rollupFlushMs,
    mqtt: a.ca ? { ca: readFileSync(a.ca) } : undefined,
    log: (s) => console.error(`${new Date().toISOString()} ${s}`),
  });
  const server = createServer((req, res) => {
    if (!history.handler(req, res)) { res.writeHead(404, { "content-type": "application/json" }); res.end('{"error":"not found"}'); }
  });
  await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(a.httpPort, a.httpHost, () => resolve()); });
  const port = (server.address() as { port: number }).port;
  console.log(`collector ${history.collector.clientId} on ${a.broker}${a.group ? ` (shared group ${a.group})` : ""} -> ${history.db.where}; ` +
    `http://${a.httpHost}:${port}/metrics and /api/history/`);
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
}

main().catch((e) => {
  console.error("error: " + (e instanceof Error ? e.message : String(e)));
  process.exit(1);
});
