// npm run sim -- <scenario.json> [--json] [--xs] [--broker URL [--device-id ID]
//                 [--ca FILE --cert FILE --key FILE] [--username U] [--password-file FILE]]
// Runs a scenario on the virtual clock; with --xs the firmware runs inside an XS worker. With
// --broker it runs on the wall clock and the router talks to that broker (watch it with any
// MQTT client: routers/<deviceId>/#): over mqtts:// with its client certificate (--cert/--key,
// the broker checked against --ca), or with a password, which is read from $MQTT_PASSWORD or
// --password-file, never from the command line (where `ps` shows it). Plain mqtt:// or ws:// only
// to loopback unless --allow-plaintext. SIGINT or SIGTERM ends the run early with its summary.
// A bad file is rejected with the path of the bad field, a non-zero exit and nothing on stdout.
import { readFileSync } from "node:fs";
import { loadScenario, ScenarioError } from "./scenario/load-scenario";
import { runScenario } from "./scenario/run-scenario";
import type { SimWorld } from "./world/world";
import { summarize, toJson } from "./scenario/summary";
import { runLiveScenario } from "./live/live-scenario";
import { checkBrokerUrl } from "../fleet/broker/url-policy";
import type { Identity } from "../fleet/broker/credentials";
import { lifecycle } from "../fleet/cli/shutdown";
import { flags, runTool, unknownOption, UsageError } from "../fleet/cli/args";

const USAGE = "usage: npm run sim -- <scenario.json> [--json] [--xs] [--broker mqtt[s]://host:port [--device-id ID]\n" +
  "         [--ca FILE --cert FILE --key FILE] [--username U] [--password-file FILE (or $MQTT_PASSWORD)] [--allow-plaintext]]";

const readText = (what: string, file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new ScenarioError(`${what} ${file}: ${(e as Error).message}`);
  }
};

async function main(argv: string[]): Promise<number> {
  let file: string | null = null;
  let json = false, xs = false;
  let broker: string | null = null, deviceId: string | null = null, username: string | undefined, passwordFile: string | undefined;
  let ca: string | undefined, cert: string | undefined, key: string | undefined, allowPlaintext = false;
  for (const { flag: a, value } of flags(argv)) {
    if (a === "--json") json = true;
    else if (a === "--xs") xs = true;
    else if (a === "--broker") broker = value();
    else if (a === "--device-id") deviceId = value();
    else if (a === "--username") username = value();
    else if (a === "--password" || a.startsWith("--password=")) {
      console.error("error: --password would be visible to every user in `ps`; put it in $MQTT_PASSWORD or a file for --password-file");
      return 2;
    }
    else if (a === "--password-file") passwordFile = value();
    else if (a === "--ca") ca = value();
    else if (a === "--cert") cert = value();
    else if (a === "--key") key = value();
    else if (a === "--allow-plaintext") allowPlaintext = true;
    else if (a.startsWith("-") && a.length > 1) throw unknownOption(a);
    else if (file === null) file = a;
    else throw new UsageError("more than one scenario file given");
  }
  if (file === null) throw new UsageError("a scenario file is required");
  let scenario;
  try {
    scenario = loadScenario(file);
  } catch (e) {
    if (e instanceof ScenarioError) { console.error("error: " + e.message); return 1; }
    throw e;
  }
  if (broker !== null) {
    if (xs) throw new UsageError("--xs runs on the virtual clock; it does not combine with --broker");
    try {
      checkBrokerUrl(broker, allowPlaintext);
    } catch (e) { throw new UsageError((e as Error).message); }
    const id = deviceId ?? scenario.deviceId;
    if ((cert === undefined) !== (key === undefined)) throw new UsageError("--cert and --key go together");
    if (/^(mqtts|wss):/.test(broker) && ca === undefined) throw new UsageError("a TLS broker needs --ca FILE (the CA that signed its certificate)");
    const password = passwordFile !== undefined ? readText("--password-file", passwordFile).replace(/\r?\n$/, "") : process.env.MQTT_PASSWORD;
    const tls = ca !== undefined
      ? { ca: readText("--ca", ca), ...(cert !== undefined && key !== undefined ? { cert: readText("--cert", cert), key: readText("--key", key) } : {}) }
      : undefined;
    const identity: Identity | undefined = tls || password !== undefined || username !== undefined
      ? { username: username ?? id, password: password ?? "", ...(tls ? { tls } : {}) }
      : undefined;
    const life = lifecycle();
    const stopped = life.signalled.then(() => undefined);
    const result = await runLiveScenario(scenario, { broker, deviceId: id, identity, json, stopped });
    process.stdout.write((json ? toJson(result) : summarize(result)) + "\n");
    return 0;
  }
  // XS builds a worker and runs the firmware in it: tens of seconds for a long scenario. Say so
  // (on stderr: stdout is the result).
  const t0 = Date.now();
  if (xs) console.error(`XS: running ${scenario.name} (${scenario.durationMs / 1000} s simulated) in an XS worker; this takes a while`);
  // ... and how far it got, every few seconds: marks on the virtual clock that only print.
  const progress = (world: SimWorld) => {
    let said = t0;
    const step = Math.max(1000, Math.floor(scenario.durationMs / 50));
    for (let at = step; at < scenario.durationMs; at += step) world.clock.at(at, () => {
      if (Date.now() - said < 5000) return;
      said = Date.now();
      console.error(`XS: ${Math.round((100 * at) / scenario.durationMs)} % (${at / 1000} of ${scenario.durationMs / 1000} s simulated) after ${((said - t0) / 1000).toFixed(0)} s`);
    });
  };
  const { result } = runScenario(scenario, { xs, prepare: xs ? progress : undefined });
  if (xs) console.error(`XS: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write((json ? toJson(result) : summarize(result)) + "\n");
  return 0;
}

runTool(USAGE, main);
