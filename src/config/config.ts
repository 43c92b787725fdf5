// The device config: its TypeScript shape (mirrors device-config.schema.json, the source of truth)
// and the one way in: validate + fill defaults with the build-time generated validator.
import { describeErrors, validators } from "./validator";
import type { ProbeTarget } from "../ports";
import { checkJsonShape } from "./json-guard";

/** A link's data budget (health/data-budget.ts spends it). */
export interface BudgetSettings {
  bytes: number;
  period: "day" | "month";
  /** Day of the month a monthly period starts (1-28). */
  billingDay: number;
  /** Share of the budget at which the fleet is told the link nears it. */
  warnPct: number;
}

export interface LinkSettings { priority: number; enabled: boolean; budget?: BudgetSettings }

export interface DeviceConfig {
  version: number;
  links: Record<string, LinkSettings>;
  targets: ProbeTarget[];
  probe: {
    intervalMs: number; standbyIntervalMs: number; busyIntervalMs: number; serviceIntervalMs: number; dnsRecheckMs: number;
    downIntervalMs: number; fastIntervalMs: number;
    minTimeoutMs: number; maxTimeoutMs: number; confirmProbes: number; upSuccesses: number;
    maxInFlight: number; echoesInFlight: number; deadTargetMisses: number; deadTargetRetryMs: number;
  };
  passive: { pollMs: number; busyRxPps: number; quietPackets: number };
  health: {
    silenceMinMs: number; silenceMaxMs: number; gapMemoryMs: number;
    lossWindow: number; lossDegradedPct: number; lossRecoveredPct: number;
    rttDegradedMs: number; rttRecoveredMs: number; rttSustainMs: number; dnsFailRounds: number; recoverMs: number;
  };
  failover: {
    onDegraded: "failover" | "stay"; failbackHoldMs: number; minDwellMs: number; bootWaitMs: number;
    dampening: { penalty: number; halfLifeMs: number; suppress: number; reuse: number; max: number };
  };
  watchdog: {
    tickMs: number; hwTimeoutMs: number; stuckProbeGraceMs: number; stallTicks: number;
    reprobeAfterMs: number; resetAfterMs: number; rebootAfterMs: number;
    bootLoopCount: number; stableAfterMs: number;
    linkResetAfterMs: number; resetBackoffMaxMs: number;
  };
  telemetry: { heartbeatMs: number; keepAliveS: number; queueMax: number; queueFlushMs: number; configGraceMs: number };
}

/** The longest flap dampening may keep a link unused (RFC 2439's max-suppress; ours is a day). */
export const MAX_SUPPRESS_MS = 86400000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export { describeErrors } from "./validator";

/** Validate a config (JSON text or a parsed value, never mutated) and fill in every default. */
export function parseConfig(input: string | unknown): Parsed<DeviceConfig> {
  let value: unknown;
  // Stored text could be damaged: bound it before JSON.parse as inbound messages are.
  const shape = typeof input === "string" ? checkJsonShape(input) : null;
  if (shape !== null) return { ok: false, error: `/ ${shape}` };
  try {
    value = JSON.parse(typeof input === "string" ? input : JSON.stringify(input ?? {}));
  } catch {
    return { ok: false, error: `/ is not JSON (${typeof input === "string" ? input.length : 0} bytes)` };
  }
  const validate = validators.validateDeviceConfig;
  if (!validate(value)) return { ok: false, error: describeErrors(validate.errors) };
  const cfg = value as DeviceConfig;
  const p = cfg.probe, h = cfg.health, d = cfg.failover.dampening;
  // Cross-field rules JSON Schema cannot say.
  if (p.maxTimeoutMs < p.minTimeoutMs) return { ok: false, error: "/probe/maxTimeoutMs must be >= minTimeoutMs" };
  if (h.lossRecoveredPct >= h.lossDegradedPct) return { ok: false, error: "/health/lossRecoveredPct must be < lossDegradedPct" };
  if (h.silenceMaxMs < h.silenceMinMs) return { ok: false, error: "/health/silenceMaxMs must be >= silenceMinMs" };
  if (h.rttRecoveredMs >= h.rttDegradedMs) return { ok: false, error: "/health/rttRecoveredMs must be < rttDegradedMs" };
  if (d.reuse >= d.suppress || d.suppress > d.max) return { ok: false, error: "/failover/dampening needs reuse < suppress <= max" };
  // The longest a link can be held off: max decaying to reuse. Past a day it is a link lost for good.
  const heldOffMs = d.halfLifeMs * Math.log2(d.max / d.reuse);
  if (heldOffMs > MAX_SUPPRESS_MS) {
    return { ok: false, error: `/failover/dampening would hold a link off for up to ${Math.round(heldOffMs / 3600000)} h (halfLifeMs x log2(max / reuse)); at most 24 h` };
  }
  return { ok: true, value: cfg };
}

export function defaultConfig(): DeviceConfig {
  const parsed = parseConfig({});
  if (!parsed.ok) throw new Error("built-in defaults do not validate: " + parsed.error);
  return parsed.value;
}

export function linkPriority(cfg: DeviceConfig, link: string): number {
  return cfg.links[link]?.priority ?? 5;
}
