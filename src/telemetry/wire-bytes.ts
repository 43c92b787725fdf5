// The bytes an MQTT session puts on an uplink, for the link's data budget: each message's topic and
// payload with MQTT framing, TCP/IP headers both ways, and a QoS 1 acknowledgement. An estimate that
// errs high, computed without touching the payload more than its length needs.
import type { MqttMessage, MqttSession } from "../ports";
import { utf8Length } from "../config/utf8";

/** IPv4 + TCP headers of the segment and of the acknowledgement that answers it. */
const TCP_IP = 40 + 40;
/** PUBACK (4) in its own segment. */
const PUBACK = 4 + 40;

export function wireBytes(topic: string, payload: string, qos: 0 | 1): number {
  const body = 2 + utf8Length(topic) + utf8Length(payload) + (qos ? 2 : 0);
  return body + 4 + TCP_IP + (qos ? PUBACK : 0);
}

/** The session, with every message in and out counted to `spend`. */
export function countedSession(inner: MqttSession, spend: (bytes: number) => void): MqttSession {
  return {
    connect: (o) => { spend(wireBytes(o.will.topic, o.will.payload, 0) + 64); inner.connect(o); },
    disconnect: () => inner.disconnect(),
    publish: (m: MqttMessage, acked?: () => void) => { spend(wireBytes(m.topic, m.payload, m.qos)); inner.publish(m, acked); },
    subscribe: (f) => { spend(wireBytes(f, "", 1)); inner.subscribe(f); },
    onConnected: (fn) => inner.onConnected(fn),
    onDisconnected: (fn) => inner.onDisconnected(fn),
    // The port's byte count: a payload over the cap arrives as its size only.
    onMessage: (fn) => inner.onMessage((m) => { spend(wireBytes(m.topic, "", 1) + m.bytes); fn(m); }),
  };
}
