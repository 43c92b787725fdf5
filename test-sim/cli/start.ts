// npm start: the main job. A simulated router with an Ethernet, an LTE and a Wi-Fi uplink goes
// through a short scripted outage, paced on the wall clock so you can watch it, printing each
// fault, each decision and a status line per link every 10 simulated seconds.
//   npm start -- [scenario.json] [--speed N]   (default: test-sim/scenarios/demo-outage.json, 10x)
import { fileURLToPath } from "node:url";
import { loadScenario, ScenarioError, type Scenario } from "../scenario/load-scenario";
import { runScenario } from "../scenario/run-scenario";
import { describeEvent, summarize } from "../scenario/summary";
import type { SimWorld } from "../world/world";

const DEFAULT = fileURLToPath(new URL("../test-sim/scenarios/demo-outage.json", import.meta.url));
const STEP_MS = 100;

function parse(argv: string[]): { file: string; speed: number } {
  let file = DEFAULT, speed = 10;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--speed") speed = Number(argv[++i]);
    else if (!argv[i].startsWith("--")) file = argv[i];
    else throw new ScenarioError(`unknown option ${argv[i]} (usage: npm start -- [scenario.json] [--speed N])`);
  }
  if (!(speed > 0)) throw new ScenarioError("--speed must be a positive number");
  return { file, speed };
}

function status(world: SimWorld): string {
  const v = world.view();
  if (!v) return "  (rebooting)";
  return "  " + v.links.map((l) =>
    `${l.name === v.active ? "*" : " "}${l.name} ${l.state.padEnd(8)} rtt ${String(l.rttMs).padStart(4)} ms loss ${String(l.lossPct).padStart(3)} %`,
  ).join(" | ");
}

async function main(): Promise<void> {
  const { file, speed } = parse(process.argv.slice(2));
  const sc: Scenario = loadScenario(file);
  console.log(`router ${sc.deviceId}: ${sc.links.map((l) => `${l.name} (${l.kind}, priority ${l.priority})`).join(", ")}`);
  console.log(`scenario ${sc.name}: ${sc.description ?? ""}`);
  console.log(`running ${sc.durationMs / 1000} simulated seconds at ${speed}x\n`);
  let printedTo = 0;
  const { result } = runScenario(sc, {
    prepare: (world) => {
      for (const f of sc.faults) {
        world.clock.at(f.atMs, () => console.log(`${(f.atMs / 1000).toFixed(3).padStart(10)}s  >> fault: ${f.kind}${f.link ? " on " + f.link : ""}`));
      }
      world.onEvent((e) => { if (e.type !== "link-state" || e.to !== "up" || e.from !== "unknown") console.log(describeEvent(e)); });
      world.clock.after(10000, () => console.log(`${(world.clock.now() / 1000).toFixed(0).padStart(10)}s ${status(world)}`), 10000);
      // Pace the virtual clock against the wall clock (a blocking sleep: nothing else runs here).
      const run = world.run.bind(world);
      world.run = (until: number) => {
        const tick = () => {
          printedTo = Math.min(until, printedTo + STEP_MS);
          run(printedTo);
        };
        while (printedTo < until) {
          tick();
          if (speed < 1e6) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STEP_MS / speed);
        }
      };
    },
  });
  console.log("\n" + summarize(result).split("\n").slice(-6).join("\n"));
}

main().catch((e) => {
  console.error("error: " + (e instanceof Error ? e.message : String(e)));
  process.exitCode = 1;
});
