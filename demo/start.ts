// npm start: the main job. An embedded MQTT broker (the repo's ACL and limits, a certificate per
// router from a CA made for this run), a simulated router with Ethernet, LTE and Wi-Fi uplinks
// going through a scripted outage (printed as it happens), a small fleet of simulated routers
// whose primaries fail now and then, all over MQTT with TLS and client certificates, and the fleet
// dashboard. Logins and keys for other MQTT clients go to a private directory (0700, files 0600,
// outside the repository) whose path is printed; no secret is printed. Ctrl-C or SIGTERM stops
// everything, removes that directory and releases every port.
//   npm start -- [--routers N] [--port P] [--mosquitto] [--duration-ms D] [--host ADDR]
//     [--page-host ADDR --page-tls-cert FILE --page-tls-key FILE [--page-allow-host NAME]...]
// --host ADDR: where the broker's TLS doors listen (default 127.0.0.1); plain doors stay on loopback.
// --page-host ADDR: the dashboard off loopback, over HTTPS only, its data for signed-in operators.
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { loadScenario } from "../sim/scenario/load-scenario";
import { startBroker } from "../fleet/broker/broker";
import { makeCredentials } from "../fleet/broker/credentials";
import { writeCredsFile } from "../fleet/broker/creds-file";
import { PrivateDir } from "../fleet/broker/private-dir";
import { LiveFleet, type LiveRouterSpec } from "../sim/live/fleet";
import { printEvents } from "../sim/live/live-report";
import { fleetSpecs } from "./fleet-specs";
import { serveDashboard } from "../fleet/web/dashboard-server";
import { startLocalHistory } from "../fleet/fleet-history";
import { lifecycle } from "../fleet/cli/shutdown";
import { randomBytes } from "node:crypto";
import { connect } from "../fleet/broker/connect";
import { CommandSender } from "../fleet/console/commands";
import { consoleApi, hasConsoleSession } from "../fleet/console/console-api";
import { addOperator } from "../fleet/console/operators";
import { flags, runTool, unknownOption, UsageError } from "../fleet/cli/args";

const DEMO = fileURLToPath(new URL("../sim/scenarios/demo-outage.json", import.meta.url));

const USAGE = `usage: npm start -- [--routers N] [--port P] [--duration-ms D] [--host ADDR] [--mosquitto]
    [--page-host ADDR --page-tls-cert FILE --page-tls-key FILE [--page-allow-host NAME]...]
  The demo: a broker with TLS, a router through a scripted outage, N more routers (default 24), the
  fleet history and the dashboard (port P, default 8080, or a free one). --host ADDR puts the broker's
  TLS doors on ADDR (default 127.0.0.1); --mosquitto uses Mosquitto instead of the embedded broker.
  --page-host ADDR serves the dashboard on ADDR over HTTPS with the given certificate and key (PEM;
  refused without them off loopback), its data only to signed-in operators and viewers, its broker
  connection on the wss:// door (put that door on a reachable address with --host);
  --page-allow-host NAME: a name the page is reached by (the certificate's), needed on 0.0.0.0.`;

interface StartArgs { routers: number; port: number; durationMs: number; host: string; mosquitto: boolean;
  pageHost: string; pageCert: string | null; pageKey: string | null; pageAllowHosts: string[] }

function parse(argv: string[]): StartArgs {
  const a: StartArgs = { routers: 24, port: 8080, durationMs: 24 * 3600000, host: "127.0.0.1", mosquitto: false,
    pageHost: "127.0.0.1", pageCert: null, pageKey: null, pageAllowHosts: [] };
  const whole = (flag: string, v: string, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`${flag} must be a whole number from 0 to ${max}, not ${JSON.stringify(v)}`);
    return n;
  };
  for (const { flag, value } of flags(argv)) {
    if (flag === "--routers") a.routers = whole(flag, value(), 10000);
    else if (flag === "--port") a.port = whole(flag, value(), 65535);
    else if (flag === "--duration-ms") a.durationMs = whole(flag, value(), Number.MAX_SAFE_INTEGER);
    else if (flag === "--host") a.host = value();
    else if (flag === "--mosquitto") a.mosquitto = true;
    else if (flag === "--page-host") a.pageHost = value();
    else if (flag === "--page-tls-cert") a.pageCert = value();
    else if (flag === "--page-tls-key") a.pageKey = value();
    else if (flag === "--page-allow-host") a.pageAllowHosts.push(value());
    else throw unknownOption(flag);
  }
  if (!a.pageCert !== !a.pageKey) throw new UsageError("--page-tls-cert and --page-tls-key go together");
  return a;
}

async function main(argv: string[]): Promise<void> {
  const { routers, durationMs, host, mosquitto, port: wantPort, pageHost, pageCert, pageKey, pageAllowHosts } = parse(argv);
  const tls = pageCert && pageKey ? { cert: readFileSync(pageCert, "utf8"), key: readFileSync(pageKey, "utf8") } : undefined;
  const life = lifecycle();
  const demo = loadScenario(DEMO);
  const specs: LiveRouterSpec[] = [
    { deviceId: demo.deviceId, seed: demo.seed, links: demo.links, faults: demo.faults, config: { telemetry: { heartbeatMs: 5000 } } },
    ...fleetSpecs(routers, 7, true, Math.min(durationMs, 600000)),
  ];
  const creds = makeCredentials(specs.map((s) => s.deviceId));
  const dir = new PrivateDir("uplink-start-");
  life.onStop("remove the credentials", () => dir.remove());
  const broker = await startBroker(creds, mosquitto ? "mosquitto" : "embedded", { host });
  life.onStop("stop the broker", () => broker.stop());
  // Fleet history: a collector and an embedded database (fleet/), its API on the page's origin.
  const history = await startLocalHistory(broker, creds.collectors[0]);
  life.onStop("stop the fleet history", () => history.stop());
  const pageConfig = { wsUrl: tls ? broker.wssUrl : broker.wsUrl, username: creds.dashboard.username, password: creds.dashboard.password, silentMs: 30000 };
  // The console (login, actions, audit): commands go out on the fleet's login, which only npm
  // start's own process holds. Two demo operators with random passwords, kept in the private dir.
  const fleetClient = await connect(broker.url, creds.fleet, { reconnectPeriod: 1000 });
  const sender = new CommandSender(fleetClient);
  life.onStop("close the console's broker session", () => { sender.close(); fleetClient.end(true); });
  const operators: string[] = [];
  for (const [name, role] of [["demo-operator", "operator"], ["demo-viewer", "viewer"]] as const) {
    const password = randomBytes(12).toString("base64url");
    await addOperator(history.db, name, role, password);
    operators.push(`${name} (${role}): ${password}`);
  }
  const operatorsFile = dir.write("console-logins.txt", operators.join("\n") + "\n");
  // The broker login goes to the page only once someone has logged in to the console.
  const served = { api: history.handler, console: consoleApi({ db: history.db, sender }), loggedIn: hasConsoleSession(history.db), tls, allowHosts: pageAllowHosts };
  const page = await serveDashboard(pageConfig, wantPort, pageHost, served).catch((e: Error) =>
    /EADDRINUSE/.test(String((e as NodeJS.ErrnoException).code ?? e.message)) ? serveDashboard(pageConfig, 0, pageHost, served) : Promise.reject(e));
  life.onStop("close the dashboard", () => page.close());
  const port = new URL(page.url).port;
  // Only the dashboard's own page may open the broker's WebSocket door from a browser.
  const scheme = tls ? "https" : "http";
  broker.allowOrigins([new URL(page.url).origin, `${scheme}://127.0.0.1:${port}`, `${scheme}://localhost:${port}`,
    ...pageAllowHosts.map((h) => `${scheme}://${h.includes(":") ? h : `${h}:${port}`}`)]);
  // The console holds the fleet login: the file gives tools their own (fleet-1..4), so none takes its session.
  const file = writeCredsFile(dir, broker, creds, { fleetInUse: true });
  // The routers log in as devices do in production: MQTT over TLS with their own certificate.
  const fleet = new LiveFleet(specs, broker.tlsUrl, (id) => creds.devices.get(id));
  console.log(`broker    ${broker.kind} ${broker.version}: ${broker.tlsUrl} (TLS, client certificates); dashboards ${broker.wsUrl}`);
  console.log(`dashboard ${page.url}   <- open this`);
  console.log(`history   ${history.db.where}: ${page.url}api/history/  ${page.url}metrics`);
  console.log(`console   log in on the page with a login from ${operatorsFile} (an operator and a viewer)`);
  console.log(`routers   ${demo.deviceId} (scripted outage: ${demo.description}) and ${routers} more whose primaries fail at random`);
  console.log(`logins and keys for MQTT clients (fleet tools fleet-1..4, dashboard, devices): ${file} (removed when this stops)\n`);
  printEvents(fleet.world(demo.deviceId), `${demo.deviceId} `);
  const run = fleet.start(durationMs);
  life.onStop("stop the routers", () => { run.stop(); fleet.close(); });
  await Promise.race([run.done, life.signalled]);
  await life.stop(0);
}

runTool(USAGE, main);
