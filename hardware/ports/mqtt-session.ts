// MqttSession on Moddable's ECMA-419 MQTT client (embedded:network/mqtt/client, through the host
// provider's device.network.mqtt). QoS 1 publishes carry a packet id; the PUBACK for that id is
// what calls `acked`, so an event leaves the firmware's queue only once the broker has it.
// The client does not resend: the firmware's queue does, on the next session.
//
// Production runs over TLS (embedded:io/socket/tcp/tls, Moddable's TLS socket) with the broker's
// CA pinned and a per-device client certificate and key, all read from Preference at boot; the
// user/password login over plain TCP is for development only (see hardware/README.md).
//
// What the client does not do and this port does:
// - Reassembly: a payload comes in pieces (message-assembler.ts); up to MAX_INBOUND_BYTES is kept,
//   a bigger one is read and discarded and reported by its size.
// - Liveness: the client's parser stops for good on a PUBLISH with an empty payload (parser state
//   0x36 waits for payload bytes that never come), yet still counts arriving bytes as life, so its
//   keepalive never fires. This port pings on its own and drops a session that parses nothing for
//   1.5 keepalives; the next connect is clean, so the broker does not resend the poisoned message.
// - The RETAIN flag: the client parses it and does not pass it on (see README); it is read here
//   if a client version provides it. The firmware's epoch and id checks cover the rest.
import MQTTClient from "embedded:network/mqtt/client";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Timer from "timer";
import Time from "time";
import type { InboundMessage, MqttConnectOptions, MqttMessage, MqttSession } from "../../src/ports";
import { MAX_INBOUND_BYTES } from "../../src/config/limits";
import { MessageAssembler, type FragmentInfo } from "./message-assembler";

export interface TlsMaterial {
  /** DER of the CA that signed the broker's certificate: the only one trusted. */
  ca: ArrayBuffer;
  /** DER of this device's certificate and its private key (the broker's require_certificate). */
  cert: ArrayBuffer;
  key: ArrayBuffer;
}

export interface BrokerSettings {
  host: string;
  port: number;
  /** Production: TLS with a pinned CA and a client certificate. */
  tls?: TlsMaterial;
  /** Development only (plain TCP): the broker's password login. */
  user?: string;
  password?: string;
}

// @moddable/typings 5.6.0 declares onControl as (opcode, message), but the runtime calls it with
// one message object ({operation, id}); and its builtin provider has no `network` entry, which the
// runtime's `device` object does have. These two local shapes state what the runtime does.
interface ControlMessage { operation: number; id: number }
type ProviderMqtt = { io: typeof MQTTClient; dns: Record<string, unknown>; socket: Record<string, unknown> };

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    return String.fromArrayBuffer(whole);
  } catch {
    return null; // not UTF-8: the firmware answers "not text"
  }
}

export function createMqttSession(broker: BrokerSettings): MqttSession {
  const provider = (device as unknown as { network: { mqtt: ProviderMqtt } }).network.mqtt;
  const connected: Array<() => void> = [];
  const disconnected: Array<(reason: string) => void> = [];
  const messages: Array<(m: InboundMessage) => void> = [];
  const acks = new Map<number, () => void>();
  const assembler = new MessageAssembler(MAX_INBOUND_BYTES, decodeUtf8);
  let client: MQTTClient | null = null;
  let nextId = 1;
  let ready = false;
  let liveness: Timer | null = null;
  let lastParsed = 0;
  /** The last session stalled on a message: start the next one clean so it is not sent again. */
  let poisoned = false;

  const stop = () => {
    if (liveness) Timer.clear(liveness);
    liveness = null;
    client?.close();
    client = null;
    ready = false;
    acks.clear();
    assembler.reset();
  };

  const drop = (reason: string) => {
    const was = client !== null;
    stop();
    if (was) for (const fn of disconnected) fn(reason);
  };

  const socket = (): Record<string, unknown> => {
    const tls = broker.tls;
    if (!tls) return provider.socket;
    return {
      io: TLSSocket,
      TCP: { io: TCP },
      // ssl/session options, as in Moddable's mqtt-aws example: only this CA verifies the broker.
      secure: { certificate: tls.ca, clientCertificates: [tls.cert], clientKey: tls.key },
    };
  };

  return {
    connect(o: MqttConnectOptions) {
      if (client) drop("reconnect");
      const keepaliveMs = o.keepAliveS * 1000;
      const options = {
        ...provider,
        socket: socket(),
        host: broker.host,
        port: broker.port,
        user: broker.tls ? undefined : broker.user,
        password: broker.tls ? undefined : broker.password,
        id: o.clientId,
        clean: o.cleanSession || poisoned,
        keepalive: keepaliveMs,
        will: { topic: o.will.topic, message: ArrayBuffer.fromString(o.will.payload), QoS: o.will.qos, retain: o.will.retain },
        onControl(msg: ControlMessage) {
          lastParsed = Time.ticks;
          if (msg.operation === MQTTClient.CONNACK) {
            ready = true;
            poisoned = false;
            for (const fn of connected) fn();
          } else if (msg.operation === MQTTClient.PUBACK) {
            const fn = acks.get(msg.id);
            acks.delete(msg.id);
            fn?.();
          }
        },
        onReadable(this: MQTTClient, count: number, info: FragmentInfo) {
          lastParsed = Time.ticks;
          // Always read: unread bytes stall the client. Pieces are kept only up to the cap.
          const m = assembler.push(info, this.read(count));
          if (m) for (const fn of messages) fn(m);
        },
        onClose: () => drop("closed"),
        onError: () => drop("error"),
      };
      // The options object matches the runtime (see above), not the typings' onControl signature.
      client = new MQTTClient(options as unknown as ConstructorParameters<typeof MQTTClient>[0]);
      lastParsed = Time.ticks;
      liveness = Timer.repeat(() => {
        if (!client || !ready) return;
        const quiet = Time.ticks - lastParsed;
        if (quiet > keepaliveMs * 1.5) {
          poisoned = true;
          return drop("nothing parsed for 1.5 keepalives");
        }
        // A PINGRESP the parser reads proves it is alive; the client's own ping does not tell us.
        if (quiet > keepaliveMs / 2) {
          try { client.write(null as unknown as ArrayBuffer, { operation: MQTTClient.PINGREQ, topic: "" }); } catch { /* buffer full: next round */ }
        }
      }, Math.max(1000, keepaliveMs / 4));
    },
    disconnect() {
      if (!client) return;
      // Control packets carry no payload: the runtime takes null, the typings insist on a buffer.
      try { client.write(null as unknown as ArrayBuffer, { operation: MQTTClient.DISCONNECT, topic: "" }); } catch { /* path already gone */ }
      stop();
    },
    publish(m: MqttMessage, acked?: () => void) {
      if (!client || !ready) return;
      const id = m.qos === 1 ? (nextId = (nextId % 65535) + 1) : 0;
      if (id && acked) acks.set(id, acked);
      try {
        client.write(ArrayBuffer.fromString(m.payload), { topic: m.topic, QoS: m.qos, retain: m.retain, id: id || undefined });
      } catch {
        // Output buffer full: the event stays queued in the firmware and goes again on the next session.
        acks.delete(id);
      }
      if (!acked && id) acks.delete(id);
    },
    subscribe(topicFilter: string) {
      // As for DISCONNECT: a control packet, null payload at runtime.
      client?.write(null as unknown as ArrayBuffer, { operation: MQTTClient.SUBSCRIBE, topic: "", items: [{ topic: topicFilter, QoS: 1 }] });
    },
    onConnected: (fn) => { connected.push(fn); },
    onDisconnected: (fn) => { disconnected.push(fn); },
    onMessage: (fn) => { messages.push(fn); },
  };
}
