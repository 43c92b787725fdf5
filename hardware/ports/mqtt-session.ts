// MqttSession on Moddable's ECMA-419 MQTT client (embedded:network/mqtt/client, through the host
// provider's device.network.mqtt). QoS 1 publishes carry a packet id; the PUBACK for that id is
// what calls `acked`, so an event leaves the firmware's queue only once the broker has it.
// The client does not resend: the firmware's queue does, on the next session.
import MQTTClient from "embedded:network/mqtt/client";
import type { MqttConnectOptions, MqttMessage, MqttSession } from "../../src/ports";

export interface BrokerSettings {
  host: string;
  port: number;
  user?: string;
  password?: string;
}

// @moddable/typings 5.6.0 declares onControl as (opcode, message), but the runtime calls it with
// one message object ({operation, id}); and its builtin provider has no `network` entry, which the
// runtime's `device` object does have. These two local shapes state what the runtime does.
interface ControlMessage { operation: number; id: number }
type ProviderMqtt = { io: typeof MQTTClient; dns: Record<string, unknown>; socket: Record<string, unknown> };

export function createMqttSession(broker: BrokerSettings): MqttSession {
  const provider = (device as unknown as { network: { mqtt: ProviderMqtt } }).network.mqtt;
  const connected: Array<() => void> = [];
  const disconnected: Array<(reason: string) => void> = [];
  const messages: Array<(topic: string, payload: string) => void> = [];
  const acks = new Map<number, () => void>();
  let client: MQTTClient | null = null;
  let nextId = 1;
  let ready = false;

  const drop = (reason: string) => {
    const was = client !== null;
    client?.close();
    client = null;
    ready = false;
    acks.clear();
    if (was) for (const fn of disconnected) fn(reason);
  };

  return {
    connect(o: MqttConnectOptions) {
      if (client) drop("reconnect");
      const options = {
        ...provider,
        host: broker.host,
        port: broker.port,
        user: broker.user,
        password: broker.password,
        id: o.clientId,
        clean: true,
        keepalive: o.keepAliveS * 1000,
        will: { topic: o.will.topic, message: ArrayBuffer.fromString(o.will.payload), QoS: o.will.qos, retain: o.will.retain },
        onControl(msg: ControlMessage) {
          if (msg.operation === MQTTClient.CONNACK) {
            ready = true;
            for (const fn of connected) fn();
          } else if (msg.operation === MQTTClient.PUBACK) {
            const fn = acks.get(msg.id);
            acks.delete(msg.id);
            fn?.();
          }
        },
        onReadable(this: MQTTClient, count: number, info: { topic?: string; more: boolean }) {
          const data = this.read(count);
          if (!info.more && info.topic) {
            const payload = String.fromArrayBuffer(data);
            for (const fn of messages) fn(info.topic, payload);
          }
        },
        onClose: () => drop("closed"),
        onError: () => drop("error"),
      };
      // The options object matches the runtime (see above), not the typings' onControl signature.
      client = new MQTTClient(options as unknown as ConstructorParameters<typeof MQTTClient>[0]);
    },
    disconnect() {
      if (!client) return;
      // Control packets carry no payload: the runtime takes null, the typings insist on a buffer.
      try { client.write(null as unknown as ArrayBuffer, { operation: MQTTClient.DISCONNECT, topic: "" }); } catch { /* path already gone */ }
      client.close();
      client = null;
      ready = false;
      acks.clear();
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
