// The telemetry message schemas (src/config/messages, the one source of truth) as JSON, for the
// collector's validators and the metric label sets taken from their enums.
import heartbeat from "../../src/config/messages/heartbeat.schema.json";
import event from "../../src/config/messages/event.schema.json";
import state from "../../src/config/messages/state.schema.json";
import birth from "../../src/config/messages/birth.schema.json";
import reply from "../../src/config/messages/reply.schema.json";

export const MESSAGE_SCHEMAS = { heartbeat, event, state, birth, reply };
