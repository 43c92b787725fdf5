// The broker's size limits, read from fleet/broker/mosquitto.conf (the one place they are written), so
// the embedded broker and the WebSocket bridge enforce the same numbers as Mosquitto.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT as REPO } from "../paths";

export interface BrokerLimits { maxPacketSize: number; messageSizeLimit: number; maxQueuedMessages: number; maxQueuedBytes: number }

export const MOSQUITTO_CONF = join(REPO, "fleet/broker/mosquitto.conf");

export function brokerLimits(conf = readFileSync(MOSQUITTO_CONF, "utf8")): BrokerLimits {
  const value = (key: string): number => {
    const m = new RegExp(`^${key}\\s+(\\d+)\\s*$`, "m").exec(conf);
    if (!m) throw new Error(`broker/mosquitto.conf sets no ${key}`);
    return Number(m[1]);
  };
  return { maxPacketSize: value("max_packet_size"), messageSizeLimit: value("message_size_limit"),
    maxQueuedMessages: value("max_queued_messages"), maxQueuedBytes: value("max_queued_bytes") };
}
