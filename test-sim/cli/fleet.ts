// npm run fleet -- --routers N --broker URL [--duration-ms D] [--seed S] [--creds FILE] [--chaos]
// Starts N simulated routers (real firmware, simulated links) against a broker on the wall clock.
// --creds FILE: JSON {"devices": {"<id>": "<password>", ...}} for a broker with per-device logins
// (device ids are router-0000.. unless the file names them). --chaos: each router's primary fails
// for a while at a random time, so failovers happen across the fleet.
import { readFileSync } from "node:fs";
import { LiveFleet } from "../live/fleet";
import { fleetSpecs } from "../fleet/fleet-specs";

const USAGE = "usage: npm run fleet -- --routers N --broker mqtt://host:port [--duration-ms D] [--seed S] [--creds FILE] [--chaos]";

interface Args { routers: number; broker: string; durationMs: number; seed: number; creds: Record<string, string> | null; chaos: boolean }

function parse(argv: string[]): Args {
  const a: Partial<Args> = { durationMs: 3600000, seed: 1, creds: null, chaos: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value\n${USAGE}`);
      return x;
    };
    if (k === "--routers") a.routers = Number(v());
    else if (k === "--broker") a.broker = v();
    else if (k === "--duration-ms") a.durationMs = Number(v());
    else if (k === "--seed") a.seed = Number(v());
    else if (k === "--creds") a.creds = (JSON.parse(readFileSync(v(), "utf8")) as { devices: Record<string, string> }).devices;
    else if (k === "--chaos") a.chaos = true;
    else throw new Error(`unknown option ${k}\n${USAGE}`);
  }
  if (!Number.isInteger(a.routers) || (a.routers as number) < 1) throw new Error(`--routers must be a positive integer\n${USAGE}`);
  if (!a.broker || !/^(mqtt|ws):\/\/[^/]+/.test(a.broker)) throw new Error(`--broker must be an mqtt:// or ws:// URL\n${USAGE}`);
  if (!(a.durationMs! > 0)) throw new Error(`--duration-ms must be positive\n${USAGE}`);
  return a as Args;
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const names = a.creds ? Object.keys(a.creds).slice(0, a.routers) : undefined;
  if (names && names.length < a.routers) throw new Error(`--creds names ${names.length} devices, fewer than --routers ${a.routers}`);
  const fleet = new LiveFleet(fleetSpecs(a.routers, a.seed, a.chaos, a.durationMs, names), a.broker,
    (id) => (a.creds ? { username: id, password: a.creds[id] } : undefined));
  let failovers = 0, events = 0;
  for (const w of fleet.worlds.values()) w.onEvent((e) => { events++; if (e.type === "failover") failovers++; });
  console.log(`${a.routers} routers -> ${a.broker} for ${a.durationMs / 1000} s${a.chaos ? ", with chaos" : ""}`);
  const run = fleet.start(a.durationMs);
  const status = setInterval(() => {
    let online = 0, queued = 0;
    for (const w of fleet.worlds.values()) {
      const v = w.view();
      if (v?.connected) online++;
      queued += v?.queued ?? 0;
    }
    console.log(`${new Date().toISOString()}  connected ${online}/${a.routers}, events ${events}, failovers ${failovers}, queued ${queued}`);
  }, 10000);
  process.once("SIGINT", () => run.stop());
  await run.done;
  clearInterval(status);
  fleet.close();
  console.log(`done: ${events} events, ${failovers} failovers`);
}

main().catch((e) => {
  console.error("error: " + (e instanceof Error ? e.message : String(e)));
  process.exitCode = 2;
});
