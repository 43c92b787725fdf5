// npm run broker -- [--port P] [--ws-port W] [--devices N] [--embedded]
// Starts a broker the way the tests do, with the repo's ACL and per-device credentials, and writes
// the credentials to broker-creds.json for `npm run fleet -- --creds broker-creds.json` and the
// dashboard. Mosquitto when installed, else the embedded broker. Ctrl-C stops it.
import { writeFileSync } from "node:fs";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const n = Number(argv[argv.indexOf("--devices") + 1] ?? 10) || 10;
  const embedded = argv.includes("--embedded");
  const ids = Array.from({ length: n }, (_, i) => `router-${String(i).padStart(4, "0")}`);
  const creds = makeCredentials(ids);
  const broker = await startBroker(creds, embedded ? "embedded" : "mosquitto");
  writeFileSync("broker-creds.json", JSON.stringify({
    broker: broker.url, websocket: broker.wsUrl, fleet: creds.fleet, dashboard: creds.dashboard, collectors: creds.collectors,
    devices: Object.fromEntries([...creds.devices].map(([id, i]) => [id, i.password])),
  }, null, 2));
  console.log(`${broker.kind} ${broker.version}: ${broker.url} and ${broker.wsUrl}; ${n} device logins in broker-creds.json`);
  process.once("SIGINT", () => { void broker.stop().then(() => process.exit(0)); });
}

main().catch((e) => { console.error("error: " + (e as Error).message); process.exitCode = 1; });
