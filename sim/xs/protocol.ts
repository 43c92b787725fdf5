// Messages between the simulator (Node) and the firmware running in XS. Port calls the firmware
// makes are queued as ops and returned in order at the end of each command (or before a query
// that needs an answer), so the world sees them in exactly the order the Node host would.
import type { InboundMessage, LinkInfo, LogLevel, MqttConnectOptions, MqttMessage, ProbeResult, ProbeTarget } from "../../src/ports";
import type { RouterEvent } from "../../src/telemetry/events";

/** Firmware -> world, fire and forget. */
export type Op =
  | { op: "once"; id: number; ms: number }
  | { op: "every"; id: number; ms: number }
  | { op: "cancel"; id: number }
  | { op: "probe"; id: number; link: string; target: ProbeTarget; timeoutMs: number }
  | { op: "setDefault"; link: string }
  | { op: "reset"; link: string }
  | { op: "mqttConnect"; options: MqttConnectOptions }
  | { op: "mqttDisconnect" }
  | { op: "publish"; message: MqttMessage; ackId: number }
  | { op: "subscribe"; filter: string }
  | { op: "storeSet"; key: string; value: string }
  | { op: "storeRemove"; key: string }
  | { op: "wdArm"; ms: number }
  | { op: "wdFeed" }
  | { op: "reboot"; reason: string }
  | { op: "log"; level: LogLevel; message: string }
  | { op: "event"; e: RouterEvent };

/** Firmware -> world, needing an answer now. */
export type Query =
  | { q: "carrier"; link: string }
  | { q: "storeGet"; key: string }
  | { q: "random" }
  | { q: "fresh" }
  | { q: "traffic"; link: string }
  | { q: "wall" };

export interface QueryMessage { ops: Op[]; query: Query }

/** World -> firmware. `now` is the virtual time of the delivery. */
export type Command = { now: number } & (
  | { cmd: "boot"; boot: number; deviceId: string; links: LinkInfo[] }
  | { cmd: "timer"; id: number }
  | { cmd: "probeDone"; id: number; result: ProbeResult }
  | { cmd: "carrier"; link: string; up: boolean }
  | { cmd: "connected" }
  | { cmd: "disconnected"; reason: string }
  | { cmd: "message"; message: InboundMessage }
  | { cmd: "acked"; id: number }
  | { cmd: "view" }
  | { cmd: "gc" });
