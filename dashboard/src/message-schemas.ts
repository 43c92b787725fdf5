// The telemetry message schemas (src/config/messages) for fleet-side tools: the fleet consumer, the
// dashboard and the tests all judge router output by the same files. The validators are generated
// at build time (the page's Content-Security-Policy allows no eval), and the dashboard adds the
// bounds its own bookkeeping needs on top.
import * as generated from "./generated/message-validators";
import type { SchemaError, Validator } from "../../src/config/validator";
import { EPOCH_MAX } from "../../src/watchdog/boot-guard";

export type MessageKind = "heartbeat" | "event" | "state" | "birth" | "reply";

const validators = generated as unknown as Record<MessageKind, Validator>;

/**
 * Boot numbers are a counter the device bumps once per boot, up to the firmware's bound (the
 * schemas' too). A larger one (1e308 is an "integer" to JSON Schema) would outrank every real boot
 * and hide the router's events.
 */
export const MAX_EPOCH = EPOCH_MAX;
/** At most this many schema errors are described; the rest are counted. */
const ERRORS_DESCRIBED = 5;

export type Judged = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** Parse and validate one message; on failure, what is wrong and where (a few errors, then a count). */
export function judgeMessage(kind: MessageKind, payload: string): Judged {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const v = validators[kind];
  if (!v(value)) return { ok: false, error: describe(v.errors) };
  const m = value as Record<string, unknown>;
  if ("epoch" in m && (m.epoch as number) > MAX_EPOCH) return { ok: false, error: `/epoch must be <= ${MAX_EPOCH}` };
  return { ok: true, value: m };
}

/** null when `payload` is a valid message of `kind`, else what is wrong and where. */
export function checkMessage(kind: MessageKind, payload: string): string | null {
  const j = judgeMessage(kind, payload);
  return j.ok ? null : j.error;
}

function describe(errors: readonly SchemaError[] | null | undefined): string {
  if (!errors || errors.length === 0) return "invalid";
  const shown = errors.slice(0, ERRORS_DESCRIBED).map((e) => {
    const extra = e.params && "additionalProperty" in e.params ? ` '${String(e.params.additionalProperty).slice(0, 40)}'` : "";
    return `${e.instancePath.slice(0, 80) || "/"} ${e.message ?? "is invalid"}${extra}`;
  });
  const more = errors.length - shown.length;
  return shown.join("; ") + (more > 0 ? `; and ${more} more` : "");
}
