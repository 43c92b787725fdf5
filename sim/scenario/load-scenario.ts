// Reading a scenario file: JSON syntax, then the schema, then the rules a schema cannot say.
// Every rejection names the file and the JSON pointer of the bad field.
import type { TrafficSpec } from "../world/sim-traffic";
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import Ajv from "ajv";
import type { LinkKind } from "../../src/ports";
import { describeErrors, parseConfig, type DeviceConfig } from "../../src/config/config";
import { withLinkPriorities, type LinkSpec, type TraceData } from "../world/sim-link";
import scenarioSchema from "./scenario.schema.json";
import configSchema from "../../src/config/device-config.schema.json";


export type FaultKind =
  | "carrier-down" | "carrier-up" | "blackhole" | "loss" | "latency" | "dns-fail" | "target-down" | "flap"
  | "broker-down" | "broker-up" | "restore" | "wedge" | "stall" | "hang"
  | "burst-loss" | "gaps" | "bufferbloat" | "icmp-limit" | "trace";

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
  /** dns-fail: the resolvers blocked (default: every DNS query on the link). */
  hosts?: string[];
  /** burst-loss (Gilbert-Elliott). */
  goodMs?: number;
  badMs?: number;
  goodLoss?: number;
  badLoss?: number;
  badMinMs?: number;
  badMaxMs?: number;
  /** gaps. */
  everyMinMs?: number;
  everyMaxMs?: number;
  gapMinMs?: number;
  gapMaxMs?: number;
  /** bufferbloat. */
  peakMs?: number;
  rampMs?: number;
  drainMs?: number;
  /** icmp-limit (with `rate`). */
  perSecond?: number;
  extraMs?: number;
  /** trace: the CSV as written, its interval, and its rows once read. */
  file?: string;
  intervalMs?: number;
  traceData?: TraceData;
}

/** The fields each fault kind uses besides atMs and kind; any other field is rejected. */
export const FAULT_FIELDS: Readonly<Record<FaultKind, readonly string[]>> = {
  "carrier-down": ["link", "durationMs"],
  "carrier-up": ["link"],
  blackhole: ["link", "durationMs"],
  loss: ["link", "rate", "durationMs"],
  latency: ["link", "rttMs", "jitterMs", "durationMs"],
  "dns-fail": ["link", "hosts", "durationMs"],
  "target-down": ["link", "target", "durationMs"],
  flap: ["link", "periodMs", "count", "downMs", "mode", "durationMs"],
  "broker-down": ["durationMs"],
  "broker-up": [],
  restore: ["link"],
  wedge: ["link", "durationMs"],
  stall: ["link", "durationMs"],
  hang: ["durationMs"],
  "burst-loss": ["link", "goodMs", "badMs", "goodLoss", "badLoss", "badMinMs", "badMaxMs", "durationMs"],
  gaps: ["link", "everyMinMs", "everyMaxMs", "gapMinMs", "gapMaxMs", "durationMs"],
  bufferbloat: ["link", "peakMs", "rampMs", "drainMs", "durationMs"],
  "icmp-limit": ["link", "rate", "perSecond", "extraMs", "durationMs"],
  trace: ["link", "file", "intervalMs", "durationMs"],
};

/** Bounds on a trace file. */
export const TRACE_MAX_BYTES = 5 * 1024 * 1024;
export const TRACE_MAX_ROWS = 1_000_000;

export interface FleetMessage {
  atMs: number;
  topic: string;
  payload?: unknown;
  raw?: string;
  retain?: boolean;
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
  /** The users behind the router (none when absent). */
  traffic?: TrafficSpec;
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
  messages?: FleetMessage[]; traffic?: TrafficSpec }

/**
 * Parse a scenario. `baseDir` is where a trace fault's relative `file` is looked for (default: the
 * folder of `source`, which loadScenario passes as the scenario file's path).
 */
export function parseScenario(text: string, source = "scenario", baseDir = dirname(source)): Scenario {
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
  const faults = (r.faults ?? []).map((f) => ({ ...f }));
  const configJson = JSON.stringify(withLinkPriorities(r.config ?? {}, r.links));
  const parsed = parseConfig(configJson);
  if (!parsed.ok) throw new ScenarioError(`${source}: /config: ${parsed.error}`);
  const targets = parsed.value.targets;
  faults.forEach((f, i) => {
    const at = `/faults/${i}`;
    const fail = (msg: string) => { throw new ScenarioError(`${source}: ${msg}`); };
    const used = FAULT_FIELDS[f.kind];
    for (const k of Object.keys(f)) {
      if (k !== "atMs" && k !== "kind" && !used.includes(k)) fail(`${at}: field '${k}' is not used by kind '${f.kind}'`);
    }
    if (f.link !== undefined && !names.has(f.link)) {
      fail(`${at}/link '${f.link}' is not one of the links (${[...names].join(", ")})`);
    }
    if (f.atMs >= r.durationMs) fail(`${at}/atMs ${f.atMs} is not before durationMs ${r.durationMs}`);
    if (f.kind === "flap" && f.downMs !== undefined && f.downMs >= (f.periodMs as number)) {
      fail(`${at}/downMs must be shorter than periodMs`);
    }
    if (f.kind === "target-down" && f.target !== undefined && !targets.some((t) => t.host === f.target)) {
      fail(`${at}/target '${f.target}' is not a probe target of the config (${targets.map((t) => t.host).join(", ")})`);
    }
    if (f.kind === "dns-fail" && f.hosts) {
      const dns = targets.filter((t) => t.kind === "dns").map((t) => t.host);
      f.hosts.forEach((h, j) => {
        if (!dns.includes(h)) fail(`${at}/hosts/${j} '${h}' is not a dns probe target of the config (${dns.join(", ") || "none"})`);
      });
    }
    if (f.kind === "burst-loss") {
      const range = f.badMinMs !== undefined || f.badMaxMs !== undefined;
      if (range && (f.badMinMs === undefined || f.badMaxMs === undefined)) fail(`${at}: badMinMs and badMaxMs go together`);
      if (range && f.badMs !== undefined) fail(`${at}: field 'badMs' is not used when badMinMs/badMaxMs are given`);
      if (!range && f.badMs === undefined) fail(`${at}: kind 'burst-loss' needs badMs (or badMinMs and badMaxMs)`);
      if (range && (f.badMinMs as number) > (f.badMaxMs as number)) fail(`${at}/badMinMs must not exceed badMaxMs`);
    }
    if (f.kind === "gaps") {
      if ((f.everyMinMs as number) > (f.everyMaxMs as number)) fail(`${at}/everyMinMs must not exceed everyMaxMs`);
      if ((f.gapMinMs as number) > (f.gapMaxMs as number)) fail(`${at}/gapMinMs must not exceed gapMaxMs`);
      if ((f.gapMaxMs as number) >= (f.everyMinMs as number)) fail(`${at}/gapMaxMs must be shorter than everyMinMs (gaps may not overlap)`);
    }
    if (f.kind === "icmp-limit" && f.rate === undefined && f.perSecond === undefined && f.extraMs === undefined) {
      fail(`${at}: kind 'icmp-limit' needs at least one of rate, perSecond, extraMs`);
    }
    if (f.kind === "trace") {
      const file = isAbsolute(f.file as string) ? (f.file as string) : resolve(baseDir, f.file as string);
      f.traceData = readTrace(file, f.intervalMs ?? 1000, `${source}: ${at}/file`);
    }
  });
  (r.messages ?? []).forEach((m, i) => {
    if (m.atMs >= r.durationMs) throw new ScenarioError(`${source}: /messages/${i}/atMs ${m.atMs} is not before durationMs ${r.durationMs}`);
  });
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
    ...(r.traffic ? { traffic: r.traffic } : {}),
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

/**
 * A trace CSV: a header line naming `loss` (fraction 0..1 lost in the interval) and `rtt_ms`, and
 * optionally `jitter_ms`, in any order; then one row per interval. Blank lines and lines starting
 * with `#` are skipped. A bad file is rejected with file:line and what is wrong.
 */
export function readTrace(file: string, intervalMs: number, where: string): TraceData {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new ScenarioError(`${where}: cannot read trace ${file}: ${(e as Error).message}`);
  }
  if (size > TRACE_MAX_BYTES) throw new ScenarioError(`${where}: trace ${file} is ${size} bytes (at most ${TRACE_MAX_BYTES})`);
  const text = readFileSync(file, "utf8");
  const lines = text.split(/\r?\n/);
  const bad = (line: number, msg: string): never => { throw new ScenarioError(`${file}:${line}: ${msg}`); };
  let header: string[] | null = null;
  let li = -1, ri = -1, ji = -1;
  const loss: number[] = [], rtt: number[] = [], jitter: number[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === "" || line.startsWith("#")) continue;
    const cells = line.split(",").map((c) => c.trim());
    if (!header) {
      header = cells;
      for (const [i, c] of cells.entries()) {
        if (cells.indexOf(c) !== i) bad(n + 1, `column '${c}' appears twice`);
        if (c !== "loss" && c !== "rtt_ms" && c !== "jitter_ms") bad(n + 1, `unknown column '${c}' (columns: loss, rtt_ms, optional jitter_ms)`);
      }
      li = cells.indexOf("loss"); ri = cells.indexOf("rtt_ms"); ji = cells.indexOf("jitter_ms");
      if (li < 0 || ri < 0) bad(n + 1, `the header needs columns loss and rtt_ms (got '${line}')`);
      continue;
    }
    if (cells.length !== header.length) bad(n + 1, `${cells.length} fields, the header has ${header.length}`);
    if (loss.length >= TRACE_MAX_ROWS) bad(n + 1, `more than ${TRACE_MAX_ROWS} rows`);
    const num = (i: number, name: string, max: number): number => {
      const c = cells[i];
      const v = /^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$|^\.[0-9]+$/.test(c) ? Number(c) : NaN;
      if (!Number.isFinite(v)) bad(n + 1, `${name} '${c}' is not a number`);
      if (v > max) bad(n + 1, `${name} ${c} is above ${max}`);
      return v;
    };
    loss.push(num(li, "loss", 1));
    rtt.push(num(ri, "rtt_ms", 60000));
    if (ji >= 0) jitter.push(num(ji, "jitter_ms", 60000));
  }
  if (!header) bad(1, "empty trace: expected a header line (loss,rtt_ms[,jitter_ms]) and rows");
  if (loss.length === 0) bad(lines.length, "no rows after the header");
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < loss.length; i++) {
    if (loss[i] < 1) continue;
    const from = i;
    while (i < loss.length && loss[i] >= 1) i++;
    runs.push([from, i]);
  }
  return { intervalMs, loss: Float64Array.from(loss), rttMs: Float64Array.from(rtt),
    jitterMs: ji >= 0 ? Float64Array.from(jitter) : null, totalLossRuns: runs };
}
