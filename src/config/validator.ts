// The shape of the validators Ajv generates at build time (src/config/generated, type-unchecked
// code): a predicate that leaves its errors on itself.
import * as generated from "./generated/validators";
import { boundError, quote } from "./limits";

export interface SchemaError { instancePath: string; message?: string; params?: Record<string, unknown> }

export type Validator = ((value: unknown) => boolean) & { errors?: SchemaError[] | null };

type Name = "validateDeviceConfig" | "validateConfigSet" | "validateCmdFailover" | "validateCmdReboot" | "validateCmdProbeNow";

/** The one place the generated module is given its type. */
export const validators = generated as unknown as Record<Name, Validator>;

// The device build preloads this module: the Moddable linker runs it and freezes what it made into
// flash, and a frozen function cannot take the `errors` property the generated code assigns. An
// accessor, defined while the module is still being built, keeps each validator's last errors in
// a plain object instead (XS gives an unfrozen preloaded object a RAM copy when it is written).
const lastErrors: Record<string, SchemaError[] | null> = {};
for (const name of Object.keys(validators) as Name[]) {
  Object.defineProperty(validators[name], "errors", {
    get: () => lastErrors[name] ?? null,
    set: (v: SchemaError[] | null) => { lastErrors[name] = v; },
  });
}

/** Errors named in a description; the rest are counted. */
const SHOWN = 3;

/**
 * "/probe/intervalMs must be >= 1000; /targets/0 must have required property 'host'". Bounded
 * whatever the input held: at most three errors, each path and quoted name cut short, and the
 * whole at most MAX_ERROR_CHARS (an error text goes into replies, events and the dashboard).
 */
export function describeErrors(errors: readonly SchemaError[] | null | undefined): string {
  if (!errors || errors.length === 0) return "invalid";
  const parts: string[] = [];
  for (let i = 0; i < errors.length && i < SHOWN; i++) {
    const e = errors[i];
    const p = e.params;
    const name = p && "additionalProperty" in p ? p.additionalProperty : p && "propertyName" in p ? p.propertyName : undefined;
    const extra = name === undefined ? "" : ` '${quote(String(name))}'`;
    parts.push(`${quote(e.instancePath || "/", 80)} ${quote(e.message ?? "is invalid", 80)}${extra}`);
  }
  const more = errors.length > SHOWN ? `; and ${errors.length - SHOWN} more` : "";
  return boundError(parts.join("; ") + more);
}
