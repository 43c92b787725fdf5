// The shape of the validators Ajv generates at build time (src/config/generated, type-unchecked
// code): a predicate that leaves its errors on itself.
import * as generated from "./generated/validators";

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

/** "/probe/intervalMs must be >= 1000; /targets/0 must have required property 'host'" */
export function describeErrors(errors: readonly SchemaError[] | null | undefined): string {
  if (!errors || errors.length === 0) return "invalid";
  return errors.map((e) => {
    const extra = e.params && "additionalProperty" in e.params ? ` '${String(e.params.additionalProperty)}'` : "";
    return `${e.instancePath || "/"} ${e.message ?? "is invalid"}${extra}`;
  }).join("; ");
}
