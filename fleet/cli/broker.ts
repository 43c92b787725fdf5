// npm run broker -- [--devices N] [--embedded] [--host ADDR] [--pki DIR]
// Starts a broker the way the tests do: the repo's ACL and limits, a key and certificate per device
// from a CA (a new one per run, or the project CA made by `npm run pki` with --pki DIR), MQTT over
// TLS with client certificates on ADDR (default 127.0.0.1; off loopback only TLS listens), and
// passwords for development on loopback. The credentials go to a private directory (0700, files
// 0600, outside the repository) whose path is printed; nothing secret is printed. Ctrl-C or
// SIGTERM stops the broker and removes the directory.
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { writeCredsFile } from "../broker/creds-file";
import { PrivateDir } from "../broker/private-dir";
import { loadProjectPki } from "../broker/project-pki";
import { lifecycle } from "./shutdown";
import { flags } from "./args";

const USAGE = "usage: npm run broker -- [--devices N] [--embedded] [--host ADDR] [--pki DIR]";

async function main(): Promise<void> {
  const life = lifecycle();
  const argv = process.argv.slice(2);
  let n = 10, embedded = false, host = "127.0.0.1", pkiDir: string | null = null;
  for (const { flag: a, value: value } of flags(argv, USAGE)) {
    if (a === "--devices") n = Number(value());
    else if (a === "--embedded") embedded = true;
    else if (a === "--host") host = value();
    else if (a === "--pki") pkiDir = value();
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (!Number.isInteger(n) || n < 1 || n > 100000) throw new Error(`--devices must be an integer from 1 to 100000\n${USAGE}`);
  const ids = Array.from({ length: n }, (_, i) => `router-${String(i).padStart(4, "0")}`);
  const creds = makeCredentials(ids, pkiDir ? loadProjectPki(pkiDir) : undefined);
  const dir = new PrivateDir("uplink-broker-");
  life.onStop("remove the credentials", () => dir.remove());
  const broker = await startBroker(creds, embedded ? "embedded" : "mosquitto", { host });
  life.onStop("stop the broker", () => broker.stop());
  const file = writeCredsFile(dir, broker, creds);
  console.log(`${broker.kind} ${broker.version}, pid ${process.pid}`);
  console.log(`  MQTT over TLS, client certificates  ${broker.tlsUrl}`);
  console.log(`  dashboards, wss (password)          ${broker.wssUrl}`);
  console.log(`  development on loopback (password)  ${broker.url}  and  ${broker.wsUrl}`);
  console.log(`credentials for ${n} devices, fleet and dashboard: ${file}`);
  console.log(`  (private directory, removed when this stops)`);
  console.log(`try: npm run fleet -- --routers ${Math.min(n, 10)} --broker ${broker.tlsUrl} --creds ${file}`);
  console.log("ready");
  await life.signalled;
  await life.stop(0);
}

main().catch((e) => { console.error("error: " + (e as Error).message); process.exit(1); });
