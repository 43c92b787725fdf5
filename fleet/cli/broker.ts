// npm run broker -- [--devices N] [--embedded] [--host ADDR] [--pki DIR] [--allow-origin ORIGIN]...
// Starts a broker the way the tests do: the repo's ACL and limits, a key and certificate per device
// from a CA (a new one per run, or the project CA made by `npm run pki` with --pki DIR), MQTT over
// TLS with client certificates on ADDR (default 127.0.0.1; off loopback only TLS listens), and
// passwords for development on loopback. The credentials go to a private directory (0700, files
// 0600, outside the repository) whose path is printed; nothing secret is printed. Ctrl-C or
// SIGTERM stops the broker and removes the directory. Browsers reach the WebSocket doors only from
// the origins given with --allow-origin (none by default: a web page elsewhere must not use an
// operator's browser to try dashboard logins or read the fleet).
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { writeCredsFile } from "../broker/creds-file";
import { PrivateDir } from "../broker/private-dir";
import { loadProjectPki } from "../broker/project-pki";
import { lifecycle } from "./shutdown";
import { flags, runTool, unknownOption, UsageError } from "./args";

const USAGE = `usage: npm run broker -- [--devices N] [--embedded] [--host ADDR] [--pki DIR] [--allow-origin https://dashboard.example]...
  Starts a broker (Mosquitto, or the embedded one) with the repo's ACL and limits; prints its URLs and
  the path of creds.json (the logins of the devices, fleet, dashboard and collectors).`;

async function main(argv: string[]): Promise<void> {
  let n = 10, embedded = false, host = "127.0.0.1", pkiDir: string | null = null;
  const origins: string[] = [];
  for (const { flag: a, value: value } of flags(argv, USAGE)) {
    if (a === "--devices") n = Number(value());
    else if (a === "--embedded") embedded = true;
    else if (a === "--host") host = value();
    else if (a === "--pki") pkiDir = value();
    else if (a === "--allow-origin") origins.push(checkOrigin(value()));
    else throw unknownOption(a);
  }
  if (!Number.isInteger(n) || n < 1 || n > 100000) throw new UsageError("--devices must be an integer from 1 to 100000");
  const life = lifecycle();
  const ids = Array.from({ length: n }, (_, i) => `router-${String(i).padStart(4, "0")}`);
  const creds = makeCredentials(ids, pkiDir ? loadProjectPki(pkiDir) : undefined);
  const dir = new PrivateDir("uplink-broker-");
  life.onStop("remove the credentials", () => dir.remove());
  const broker = await startBroker(creds, embedded ? "embedded" : "mosquitto", { host });
  life.onStop("stop the broker", () => broker.stop());
  broker.allowOrigins(origins);
  const file = writeCredsFile(dir, broker, creds);
  console.log(`${broker.kind} ${broker.version}, pid ${process.pid}`);
  console.log(`  MQTT over TLS, client certificates  ${broker.tlsUrl}`);
  console.log(`  dashboards, wss (password)          ${broker.wssUrl}`);
  console.log(`  development on loopback (password)  ${broker.url}  and  ${broker.wsUrl}`);
  console.log(`  browsers from ${origins.length ? origins.join(", ") : "no origin (--allow-origin ORIGIN to admit a dashboard's)"}`);
  console.log(`credentials for ${n} devices, the fleet tools (fleet, fleet-1..4: one per tool), dashboard and collectors: ${file}`);
  console.log(`  (private directory, removed when this stops)`);
  console.log(`try: npm run fleet -- --routers ${Math.min(n, 10)} --broker ${broker.tlsUrl} --creds ${file}`);
  console.log("ready");
  await life.signalled;
  await life.stop(0);
}

/** An origin as browsers send it: scheme://host[:port], nothing else. */
function checkOrigin(o: string): string {
  let u: URL;
  try { u = new URL(o); } catch { throw new UsageError(`--allow-origin '${o.slice(0, 80)}' is not an origin (https://host[:port])`); }
  if (!/^https?:$/.test(u.protocol) || u.origin !== o) throw new UsageError(`--allow-origin '${o.slice(0, 80)}' is not an origin (https://host[:port], no path)`);
  return o;
}

runTool(USAGE, main);
