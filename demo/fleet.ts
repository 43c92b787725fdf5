// npm run fleet -- --routers N --broker URL [--duration-ms D] [--seed S] [--chaos]
//                  [--creds FILE] [--ca FILE --cert-dir DIR] [--allow-plaintext]
// Starts N simulated routers (real firmware, simulated links) against a broker on the wall clock.
// Logins: --creds FILE (what `npm run broker` writes: per device a password and a key and
// certificate; older files {"devices": {"<id>": "<password>"}} still work), or --ca with
// --cert-dir DIR holding <id>.pem and <id>.key per device (what `npm run provision` writes).
// Over mqtts:// each router logs in with its certificate; a password goes in the clear only to a
// loopback broker unless --allow-plaintext. Device ids are router-0000.. unless the file names them.
// --chaos: each router's primary fails for a while at a random time. SIGINT/SIGTERM stop cleanly.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LiveFleet } from "../sim/live/fleet";
import { fleetSpecs } from "./fleet-specs";
import { readCredsFile } from "../fleet/broker/creds-file";
import { checkBrokerUrl, isTlsUrl } from "../fleet/broker/url-policy";
import type { Identity } from "../fleet/broker/credentials";
import { lifecycle } from "../fleet/cli/shutdown";
import { flags, runTool, unknownOption, UsageError } from "../fleet/cli/args";

const USAGE = "usage: npm run fleet -- --routers N --broker mqtt[s]://host:port [--duration-ms D] [--seed S] [--chaos]\n" +
  "         [--creds FILE] [--ca FILE --cert-dir DIR] [--allow-plaintext]";

interface Args { routers: number; broker: string; durationMs: number; seed: number; creds: string | null; ca: string | null; certDir: string | null; chaos: boolean; allowPlaintext: boolean }

function parse(argv: string[]): Args {
  const a: Partial<Args> = { durationMs: 3600000, seed: 1, creds: null, ca: null, certDir: null, chaos: false, allowPlaintext: false };
  for (const { flag: k, value: v } of flags(argv)) {
    if (k === "--routers") a.routers = Number(v());
    else if (k === "--broker") a.broker = v();
    else if (k === "--duration-ms") a.durationMs = Number(v());
    else if (k === "--seed") a.seed = Number(v());
    else if (k === "--creds") a.creds = v();
    else if (k === "--ca") a.ca = v();
    else if (k === "--cert-dir") a.certDir = v();
    else if (k === "--chaos") a.chaos = true;
    else if (k === "--allow-plaintext") a.allowPlaintext = true;
    else throw unknownOption(k);
  }
  if (!Number.isInteger(a.routers) || (a.routers as number) < 1) throw new UsageError("--routers must be a positive integer");
  if (!a.broker) throw new UsageError("--broker is required");
  try {
    checkBrokerUrl(a.broker, a.allowPlaintext);
  } catch (e) { throw new UsageError((e as Error).message); }
  if (!(a.durationMs! > 0)) throw new UsageError("--duration-ms must be positive");
  if (a.certDir && !a.ca) throw new UsageError("--cert-dir needs --ca (the CA that signed the broker's certificate)");
  return a as Args;
}

/** The logins for the routers, by device id (null: the broker takes anonymous routers). */
function logins(a: Args): Map<string, Identity> | null {
  if (a.creds) {
    const m = readCredsFile(a.creds).devices;
    if (a.ca) for (const i of m.values()) i.tls = { ...i.tls, ca: readFileSync(a.ca, "utf8") };
    return m;
  }
  if (a.certDir && a.ca) {
    const ca = readFileSync(a.ca, "utf8");
    const m = new Map<string, Identity>();
    for (let i = 0; i < a.routers; i++) {
      const id = `router-${String(i).padStart(4, "0")}`;
      const cert = join(a.certDir, `${id}.pem`), key = join(a.certDir, `${id}.key`);
      if (!existsSync(cert) || !existsSync(key)) throw new Error(`--cert-dir ${a.certDir}: no ${id}.pem and ${id}.key (npm run provision -- ${id} ...)`);
      m.set(id, { username: id, password: "", tls: { ca, cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") } });
    }
    return m;
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const a = parse(argv);
  const life = lifecycle();
  const ids = logins(a);
  if (isTlsUrl(a.broker) && ids && [...ids.values()].some((i) => !i.tls?.ca)) throw new Error(`${a.broker} is TLS: the credentials name no CA (use --ca FILE)`);
  const names = ids ? [...ids.keys()].slice(0, a.routers) : undefined;
  if (names && names.length < a.routers) throw new Error(`the credentials name ${names.length} devices, fewer than --routers ${a.routers}`);
  const fleet = new LiveFleet(fleetSpecs(a.routers, a.seed, a.chaos, a.durationMs, names), a.broker, (id) => ids?.get(id));
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
  life.onStop("stop the routers", async () => {
    clearInterval(status);
    run.stop();
    fleet.close();
    await new Promise((r) => setTimeout(r, 200)); // let the DISCONNECTs leave
  });
  const refused = await Promise.race([fleet.firstContact(), life.signalled.then(() => null)]);
  if (refused !== null) {
    console.error(`error: cannot connect to ${a.broker}: ${refused}`);
    return life.stop(1);
  }
  await Promise.race([run.done, life.signalled]);
  console.log(`done: ${events} events, ${failovers} failovers`);
  return life.stop(0);
}

runTool(USAGE, main);
