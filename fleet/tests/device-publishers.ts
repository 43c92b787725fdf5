// Test publishers that speak as the routers do: each routers/<id>/... message goes out on <id>'s own
// device login (the broker's ACL lets a device write only its own topics, and the fleet login none).
import type { IClientPublishOptions, MqttClient } from "mqtt";
import { connect } from "../broker/connect";
import type { FleetCredentials } from "../broker/credentials";

export interface DevicePublishers {
  publishAsync(topic: string, payload: string, options: IClientPublishOptions): Promise<unknown>;
  publish(topic: string, payload: string, options: IClientPublishOptions): void;
  end(force?: boolean): void;
}

export function devicePublishers(brokerUrl: string, creds: FleetCredentials): DevicePublishers {
  const clients = new Map<string, Promise<MqttClient>>();
  const client = (topic: string): Promise<MqttClient> => {
    const id = topic.split("/")[1];
    let c = clients.get(id);
    if (!c) {
      const identity = creds.devices.get(id);
      if (!identity) throw new Error(`no device login for ${id}`);
      c = connect(brokerUrl, identity, { reconnectPeriod: 0 });
      clients.set(id, c);
    }
    return c;
  };
  return {
    publishAsync: async (topic, payload, options) => (await client(topic)).publishAsync(topic, payload, options),
    publish: (topic, payload, options) => { void client(topic).then((c) => c.publish(topic, payload, options)); },
    end: (force) => { for (const c of clients.values()) void c.then((x) => x.end(force)); },
  };
}
