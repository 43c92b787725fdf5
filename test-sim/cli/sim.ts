// npm run sim -- <scenario.json> [--json] [--xs] [--broker mqtt://host:port [--device-id ID]
//                 [--username U --password P]]
// Runs a scenario on the virtual clock; with --xs the firmware runs inside an XS worker. With
// --broker it runs on the wall clock and the router talks to that broker (watch it with any
// MQTT client: routers/<deviceId>/#). A bad file is rejected with the path of the bad field, a
// non-zero exit and nothing on stdout.
import { loadScenario, ScenarioError } from "../scenario/load-scenario";
import { runScenario } from "../scenario/run-scenario";
import { summarize, toJson } from "../scenario/summary";
import { runLiveScenario } from "../live/live-scenario";

const USAGE = "usage: npm run sim -- <scenario.json> [--json] [--xs] [--broker mqtt://host:port [--device-id ID] [--username U --password P]]";

async function main(argv: string[]): Promise<number> {
  let file: string | null = null;
  let json = false, xs = false;
  let broker: string | null = null, deviceId: string | null = null, username: string | undefined, password: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new ScenarioError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--json") json = true;
    else if (a === "--xs") xs = true;
    else if (a === "--broker") broker = value();
    else if (a === "--device-id") deviceId = value();
    else if (a === "--username") username = value();
    else if (a === "--password") password = value();
    else if (a === "-h" || a === "--help") { console.log(USAGE); return 0; }
    else if (a.startsWith("--")) { console.error(`error: unknown option ${a}\n${USAGE}`); return 2; }
    else if (file === null) file = a;
    else { console.error(`error: more than one scenario file given\n${USAGE}`); return 2; }
  }
  if (file === null) { console.error(USAGE); return 2; }
  let scenario;
  try {
    scenario = loadScenario(file);
  } catch (e) {
    if (e instanceof ScenarioError) { console.error("error: " + e.message); return 1; }
    throw e;
  }
  if (broker !== null) {
    if (xs) { console.error("error: --xs runs on the virtual clock; it does not combine with --broker"); return 2; }
    if (!/^(mqtt|ws):\/\/[^/]+/.test(broker)) { console.error(`error: --broker '${broker}' is not an mqtt:// or ws:// URL`); return 2; }
    const result = await runLiveScenario(scenario, { broker, deviceId: deviceId ?? scenario.deviceId, username, password, json });
    process.stdout.write((json ? toJson(result) : summarize(result)) + "\n");
    return 0;
  }
  const { result } = runScenario(scenario, { xs });
  process.stdout.write((json ? toJson(result) : summarize(result)) + "\n");
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error("error: " + (e instanceof Error ? e.message : String(e)));
  process.exitCode = e instanceof ScenarioError ? 2 : 1;
});
