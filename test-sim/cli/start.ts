// npm start: the main job. An embedded MQTT broker (TCP and WebSockets, the repo's ACL, a login
// per device), a simulated router with Ethernet, LTE and Wi-Fi uplinks going through a scripted
// outage (printed as it happens), a small fleet of simulated routers whose primaries fail now and
// then, and the fleet dashboard. Ctrl-C stops everything.
//   npm start -- [--routers N] [--port P] [--mosquitto] [--duration-ms D]
import { fileURLToPath } from "node:url";
import { loadScenario } from "../scenario/load-scenario";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { LiveFleet, type LiveRouterSpec } from "../live/fleet";
import { printEvents } from "../live/live-report";
import { fleetSpecs } from "../fleet/fleet-specs";
import { serveDashboard } from "../../dashboard/server";
import { startLocalHistory } from "../../fleet/fleet-history";

const DEMO = fileURLToPath(new URL("../test-sim/scenarios/demo-outage.json", import.meta.url));

function option(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} needs a number`);
  return v;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const routers = option(argv, "--routers", 24);
  const durationMs = option(argv, "--duration-ms", 24 * 3600000);
  const demo = loadScenario(DEMO);
  const specs: LiveRouterSpec[] = [
    { deviceId: demo.deviceId, seed: demo.seed, links: demo.links, faults: demo.faults, config: { telemetry: { heartbeatMs: 5000 } } },
    ...fleetSpecs(routers, 7, true, Math.min(durationMs, 600000)),
  ];
  const creds = makeCredentials(specs.map((s) => s.deviceId));
  const broker = await startBroker(creds, argv.includes("--mosquitto") ? "mosquitto" : "embedded");
  const history = await startLocalHistory(broker, creds.collectors[0]); // fleet history: collector + embedded database (fleet/)
  const page = await serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 30000 },
    option(argv, "--port", 8080), undefined, { api: history.handler }).catch(() => serveDashboard({ wsUrl: broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 30000 }, 0, undefined, { api: history.handler }));
  const fleet = new LiveFleet(specs, broker.url, (id) => creds.devices.get(id));
  console.log(`broker    ${broker.kind} ${broker.version}: ${broker.url} (MQTT over WebSockets ${broker.wsUrl})`);
  console.log(`dashboard ${page.url}   <- open this`);
  console.log(`history   ${history.db.where}: ${page.url}api/history/  ${page.url}metrics`);
  console.log(`routers   ${demo.deviceId} (scripted outage: ${demo.description}) and ${routers} more whose primaries fail at random`);
  console.log(`fleet login for MQTT clients: ${creds.fleet.username} / ${creds.fleet.password}\n`);
  printEvents(fleet.world(demo.deviceId), `${demo.deviceId} `);
  const run = fleet.start(durationMs);
  const stop = async () => {
    run.stop();
    fleet.close();
    await page.close();
    await history.stop();
    await broker.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  await run.done;
  await stop();
}

main().catch((e) => {
  console.error("error: " + (e instanceof Error ? e.message : String(e)));
  process.exitCode = 1;
});
