// npm run sim -- <scenario.json> [--json] [--xs]
// Runs a scenario on the virtual clock; with --xs the firmware runs inside an XS worker. A bad file is rejected with the path of the bad field, a
// non-zero exit and nothing on stdout.
import { loadScenario, ScenarioError } from "../scenario/load-scenario";
import { runScenario } from "../scenario/run-scenario";
import { summarize, toJson } from "../scenario/summary";

const USAGE = "usage: npm run sim -- <scenario.json> [--json] [--xs]";

function main(argv: string[]): number {
  let file: string | null = null;
  let json = false, xs = false;
  for (const a of argv) {
    if (a === "--json") json = true;
    else if (a === "--xs") xs = true;
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
  const { result } = runScenario(scenario, { xs });
  process.stdout.write((json ? toJson(result) : summarize(result)) + "\n");
  return 0;
}

process.exitCode = main(process.argv.slice(2));
