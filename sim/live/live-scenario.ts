// A scenario on the wall clock with a real broker (npm run sim -- <file> --broker URL): one router,
// the scenario's links and faults, scored the same way as on the virtual clock. What the broker
// "received" is what it acknowledged (QoS 1) or what was written to a live session (QoS 0).
import type { Scenario } from "../scenario/load-scenario";
import { Scorer, type ScenarioResult } from "../scenario/run-scenario";
import { LiveFleet } from "./fleet";
import { printEvents } from "./live-report";
import type { Identity } from "../../fleet/broker/credentials";

export interface LiveOptions {
  broker: string;
  deviceId: string;
  /** The login: a password, or on mqtts:// a client certificate (identity.tls). */
  identity?: Identity;
  json: boolean;
  /** Resolves when the run should stop early (a signal). */
  stopped?: Promise<void>;
}

export async function runLiveScenario(sc: Scenario, o: LiveOptions): Promise<ScenarioResult> {
  const scored: Scenario = { ...sc, deviceId: o.deviceId, faults: [] };
  const fleet = new LiveFleet([{ deviceId: o.deviceId, seed: sc.seed, links: sc.links, faults: [], config: JSON.parse(sc.configJson) as Record<string, unknown> }],
    o.broker, () => o.identity);
  const world = fleet.world(o.deviceId);
  // The scorer schedules the scenario's faults itself, so it knows when each cut the active link.
  const scorer = new Scorer({ ...scored, faults: sc.faults }, world);
  if (!o.json) {
    console.error(`router ${o.deviceId} -> ${o.broker} for ${sc.durationMs / 1000} s (watch: routers/${o.deviceId}/#)`);
    printEvents(world);
  }
  const run = fleet.start(sc.durationMs);
  void o.stopped?.then(() => run.stop());
  // A broker that cannot be reached (nothing listening, a certificate or password it refuses) is an
  // error with its reason, not a run that scores a router that never spoke.
  const refused = await Promise.race([fleet.firstContact(), run.done.then(() => null)]);
  if (refused !== null) {
    run.stop();
    fleet.close();
    throw new Error(`cannot connect to ${o.broker}: ${refused}`);
  }
  await run.done;
  const view = world.view();
  fleet.close();
  return scorer.result(view);
}
