import { classById } from "./classes";
import { runScenario } from "../scenario/run-scenario";
const [id, seed, until] = process.argv.slice(2);
const c = classById(id);
const sc = c.make(Number(seed));
if (until) sc.durationMs = Number(until);
const { result, world } = runScenario(sc);
console.log("probes", result.probes, "bytes", result.probeBytes);
for (const e of result.events.filter((e) => e.type !== "heartbeat").slice(0, 30)) console.log(JSON.stringify(e));
