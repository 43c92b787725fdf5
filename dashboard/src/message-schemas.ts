// The telemetry message schemas (src/config/messages), compiled for fleet-side tools: the fleet
// consumer, the dashboard and the tests all judge router output by the same files.
import Ajv, { type ValidateFunction } from "ajv";
import heartbeat from "../../src/config/messages/heartbeat.schema.json";
import event from "../../src/config/messages/event.schema.json";
import state from "../../src/config/messages/state.schema.json";
import birth from "../../src/config/messages/birth.schema.json";
import reply from "../../src/config/messages/reply.schema.json";
import { describeErrors } from "../../src/config/config";

export type MessageKind = "heartbeat" | "event" | "state" | "birth" | "reply";

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
const validators: Record<MessageKind, ValidateFunction> = {
  heartbeat: ajv.compile(heartbeat), event: ajv.compile(event), state: ajv.compile(state),
  birth: ajv.compile(birth), reply: ajv.compile(reply),
};

export const MESSAGE_SCHEMAS = { heartbeat, event, state, birth, reply };

/** null when `payload` is a valid message of `kind`, else what is wrong and where. */
export function checkMessage(kind: MessageKind, payload: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return "not JSON";
  }
  const v = validators[kind];
  return v(value) ? null : describeErrors(v.errors);
}
