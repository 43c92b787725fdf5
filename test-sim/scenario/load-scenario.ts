// Reading a scenario file: JSON syntax, then the schema, then the rules a schema cannot say.
// Every rejection names the file and the JSON pointer of the bad field.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import type { LinkKind } from "../../src/ports";
import { describeErrors, parseConfig, type DeviceConfig } from "../../src/config/config";
import { withLinkPriorities, type LinkSpec } from "../world/sim-link";
import scenarioSchema from "./scenario.schema.json";
import configSchema from "../../src/config/device-config.schema.json";


export type FaultKind =
  | "carrier-down" | "carrier-up" | "blackhole" | "loss" | "latency" | "dns-fail" | "target-down" | "flap"
  | "broker-down" | "broker-up" | "restore" | "wedge" | "stall" | "hang";

export interface Fault {
  atMs: number;
  kind: FaultKind;
  link?: string;
  rate?: number;
  rttMs?: number;
  jitterMs?: number;
  target?: string;
  periodMs?: number;
  downMs?: number;
  count?: number;
  mode?: "carrier" | "blackhole";
  durationMs?: number;
}

export interface FleetMessage {
  atMs: number;
  topic: string;
  payload?: unknown;
  raw?: string;
}

export interface Scenario {
  name: string;
  description?: string;
  seed: number;
  durationMs: number;
  deviceId: string;
  links: LinkSpec[];
  faults: Fault[];
  messages: FleetMessage[];
  /** The full device config the router boots with (defaults + overrides + link priorities). */
  config: DeviceConfig;
  /** The overrides as written, stored on the simulated device. */
  configJson: string;
}

export class ScenarioError extends Error {}

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
ajv.addSchema(configSchema);
const validate = ajv.compile(scenarioSchema);

interface RawLink { name: string; kind: LinkKind; priority: number; rttMs?: number; jitterMs?: number; loss?: number }
interface Raw { name: string; description?: string; seed?: number; durationMs: number; deviceId?: string;
  config?: Record<string, unknown> & { links?: Record<string, unknown> }; links: RawLink[]; faults?: Fault[];
  messages?: FleetMessage[] }

export function parseScenario(text: string, source = "scenario"): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  if (!validate(raw)) throw new ScenarioError(`${source}: ${describeErrors(validate.errors)}`);
  const r = raw as unknown as Raw;
  const names = new Set<string>();
  r.links.forEach((l, i) => {
    if (names.has(l.name)) throw new ScenarioError(`${source}: /links/${i}/name '${l.name}' is used twice`);
    names.add(l.name);
  });
  const faults = r.faults ?? [];
  faults.forEach((f, i) => {
    if (f.link !== undefined && !names.has(f.link)) {
      throw new ScenarioError(`${source}: /faults/${i}/link '${f.link}' is not one of the links (${[...names].join(", ")})`);
    }
    if (f.atMs >= r.durationMs) throw new ScenarioError(`${source}: /faults/${i}/atMs ${f.atMs} is not before durationMs ${r.durationMs}`);
    if (f.kind === "flap" && f.downMs !== undefined && f.downMs >= (f.periodMs as number)) {
      throw new ScenarioError(`${source}: /faults/${i}/downMs must be shorter than periodMs`);
    }
  });
  (r.messages ?? []).forEach((m, i) => {
    if (m.atMs >= r.durationMs) throw new ScenarioError(`${source}: /messages/${i}/atMs ${m.atMs} is not before durationMs ${r.durationMs}`);
  });
  const configJson = JSON.stringify(withLinkPriorities(r.config ?? {}, r.links));
  const parsed = parseConfig(configJson);
  if (!parsed.ok) throw new ScenarioError(`${source}: /config: ${parsed.error}`);
  return {
    name: r.name,
    description: r.description,
    seed: r.seed ?? 1,
    durationMs: r.durationMs,
    deviceId: r.deviceId ?? "sim-router",
    links: r.links.map((l) => ({ name: l.name, kind: l.kind, priority: l.priority,
      rttMs: l.rttMs ?? 20, jitterMs: l.jitterMs ?? 2, loss: l.loss ?? 0 })),
    faults: [...faults].sort((a, b) => a.atMs - b.atMs),
    messages: [...(r.messages ?? [])].sort((a, b) => a.atMs - b.atMs),
    config: parsed.value,
    configJson,
  };
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ScenarioError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseScenario(text, file);
}
