// Reading a scenario file: JSON syntax, then the schema, then the rules a schema cannot say.
// Every rejection names the file and the JSON pointer of the bad field.
import type { TrafficSpec } from "../world/sim-traffic";
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import Ajv from "ajv";
import type { LinkKind } from "../../src/ports";
import { describeErrors, parseConfig, type DeviceConfig } from "../../src/config/config";
import { withLinkPriorities, type LinkSpec } from "../world/sim-link";
import { CACHED_ROWS, cachedWhenSmall, type TraceOptions, type TraceSpec } from "../world/trace-timeline";
import { readTraceCsv, TraceFileError } from "./trace-csv";
import { readMahimahi } from "./trace-mahimahi";
import { jsonLines, lineOf } from "./json-lines";
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
  /** trace: the CSV (or, format mahimahi, the .up/.down pair) as written, its interval, and how to replay it once checked. */
  file?: string;
  intervalMs?: number;
  format?: "csv" | "mahimahi";
  upFile?: string;
  downFile?: string;
  offsetMs?: number;
  repeat?: boolean;
  partialLoss?: "random" | "cut";
  silenceMs?: number;
  bufferPackets?: number;
  bufferMs?: number;
  traceSpec?: TraceSpec;
  traceOptions?: TraceOptions;
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
  trace: ["link", "file", "intervalMs", "durationMs", "format", "upFile", "downFile", "offsetMs", "repeat",
    "partialLoss", "silenceMs", "bufferPackets", "bufferMs"],
};

export { TRACE_MAX_BYTES, TRACE_MAX_ROWS } from "./trace-csv";

/** Replay defaults per trace format: a CSV row's loss is loss; a mahimahi silence holds packets. */
export const TRACE_DEFAULTS = {
  csv: { intervalMs: 1000, silenceMs: 0, bufferPackets: 0, bufferMs: 10000 },
  mahimahi: { intervalMs: 10, silenceMs: 500, bufferPackets: 256, bufferMs: 10000 },
} as const;

/** What a link reset costs when neither the link nor the scenario's resetMs says (the world's figure). */
export type ResetCosts = Partial<Record<LinkKind, number>>;

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

interface RawLink { name: string; kind: LinkKind; priority: number; rttMs?: number; jitterMs?: number; loss?: number; resetMs?: number }
interface Raw { name: string; description?: string; seed?: number; durationMs: number; deviceId?: string; resetMs?: ResetCosts;
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
  // Every rejection names the file, the line of the field and its JSON pointer.
  let lines: Map<string, number> | null = null;
  const lineAt = (pointer: string) => `${source}:${lineOf(lines ??= jsonLines(text), pointer)}`;
  /** A message that starts with a pointer (and maybe names a field of it) gets that field's line. */
  const located = (msg: string) => {
    const m = /^(\/[^\s:']*)(?::? field '([^']+)')?/.exec(msg);
    return `${lineAt(m ? (m[2] ? `${m[1]}/${m[2]}` : m[1]) : "")}: ${msg}`;
  };
  if (!validate(raw)) {
    const first = validate.errors?.[0];
    const extra = first?.params && "additionalProperty" in first.params ? "/" + String(first.params.additionalProperty) : "";
    throw new ScenarioError(`${lineAt((first?.instancePath ?? "") + extra)}: ${describeErrors(validate.errors)}`);
  }
  const r = raw as unknown as Raw;
  const names = new Set<string>();
  r.links.forEach((l, i) => {
    if (names.has(l.name)) throw new ScenarioError(located(`/links/${i}/name '${l.name}' is used twice`));
    names.add(l.name);
  });
  const faults = (r.faults ?? []).map((f) => ({ ...f }));
  const configJson = JSON.stringify(withLinkPriorities(r.config ?? {}, r.links));
  const parsed = parseConfig(configJson);
  if (!parsed.ok) throw new ScenarioError(located(`/config: ${parsed.error}`));
  const targets = parsed.value.targets;
  faults.forEach((f, i) => {
    const at = `/faults/${i}`;
    const fail = (msg: string): never => { throw new ScenarioError(located(msg)); };
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
    if (f.kind === "trace") readTraceFault(f, at, located, baseDir, fail);
  });
  (r.messages ?? []).forEach((m, i) => {
    if (m.atMs >= r.durationMs) throw new ScenarioError(located(`/messages/${i}/atMs ${m.atMs} is not before durationMs ${r.durationMs}`));
  });
  return {
    name: r.name,
    description: r.description,
    seed: r.seed ?? 1,
    durationMs: r.durationMs,
    deviceId: r.deviceId ?? "sim-router",
    links: r.links.map((l) => {
      const resetMs = l.resetMs ?? r.resetMs?.[l.kind];
      return { name: l.name, kind: l.kind, priority: l.priority, rttMs: l.rttMs ?? 20, jitterMs: l.jitterMs ?? 2, loss: l.loss ?? 0,
        ...(resetMs !== undefined ? { resetMs } : {}) };
    }),
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

/** Small traces already checked, by their files' identity (path, size, change time) and interval. */
const recalled = new Map<string, TraceSpec>();
const RECALLED_MAX = 16;

/** A small trace checked before and unchanged since is not checked again (a scorecard parses each scenario per seed). */
function recall(files: string[], intervalMs: number | undefined, read: () => TraceSpec): TraceSpec {
  let key: string;
  try {
    key = files.map((f) => { const st = statSync(f); return `${f}|${st.size}|${st.mtimeMs}`; }).join("|") + `|${intervalMs ?? ""}`;
  } catch {
    return read(); // the reader says what is wrong with the file
  }
  const known = recalled.get(key);
  if (known) return known;
  const spec = cachedWhenSmall(read());
  if (spec.rows <= CACHED_ROWS) {
    if (recalled.size >= RECALLED_MAX) recalled.delete(recalled.keys().next().value as string);
    recalled.set(key, spec);
  }
  return spec;
}

/**
 * A trace fault's files, checked end to end now (a bad row is refused before anything runs, with
 * file:line and the column), and its replay options with the format's defaults.
 */
function readTraceFault(f: Fault, at: string, located: (msg: string) => string, baseDir: string, fail: (msg: string) => never): void {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const format = f.format ?? "csv";
  const d = TRACE_DEFAULTS[format];
  if (format === "csv") {
    if (f.file === undefined) fail(`${at}: kind 'trace' needs file (or format 'mahimahi' with upFile and downFile)`);
    for (const k of ["upFile", "downFile"] as const) if (f[k] !== undefined) fail(`${at}: field '${k}' is used by format 'mahimahi' only`);
  } else {
    if (f.upFile === undefined || f.downFile === undefined) fail(`${at}: format 'mahimahi' needs upFile and downFile`);
    for (const k of ["file", "partialLoss"] as const) if (f[k] !== undefined) fail(`${at}: field '${k}' is not used by format 'mahimahi'`);
  }
  if (f.bufferMs !== undefined && (f.bufferPackets ?? d.bufferPackets) === 0) fail(`${at}/bufferMs: needs bufferPackets above 0 (a buffer to wait in)`);
  let spec: TraceSpec;
  try {
    const files = format === "csv" ? [path(f.file as string)] : [path(f.upFile as string), path(f.downFile as string)];
    spec = recall(files, f.intervalMs, () => format === "csv"
      ? readTraceCsv(files[0], f.intervalMs)
      : readMahimahi(files[0], files[1], f.intervalMs ?? d.intervalMs));
  } catch (e) {
    if (e instanceof TraceFileError) {
      // A file's own fault names the file and line; one that cannot be read names the scenario's field too.
      throw new ScenarioError(/^cannot read|^trace .* bytes/.test(e.message) ? located(`${at}/${format === "csv" ? "file" : "upFile"}: ${e.message}`) : e.message);
    }
    throw e;
  }
  const offsetMs = f.offsetMs ?? 0;
  if (offsetMs >= spec.durationMs) fail(`${at}/offsetMs ${offsetMs} is not inside the trace (${spec.durationMs} ms long)`);
  f.traceSpec = spec;
  f.traceOptions = {
    offsetMs,
    repeat: f.repeat ?? false,
    partialLoss: f.partialLoss ?? "random",
    silenceMs: f.silenceMs ?? d.silenceMs,
    bufferPackets: f.bufferPackets ?? d.bufferPackets,
    bufferMs: f.bufferMs ?? d.bufferMs,
  };
}
