// Connecting to a broker as one of the fleet's identities (tests, bench).
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Identity } from "./credentials";

export function connect(url: string, who: Identity, extra: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId: who.username, username: who.username, password: who.password,
      reconnectPeriod: 500, connectTimeout: 5000, ...extra });
    const timer = setTimeout(() => reject(new Error(`${who.username} could not connect to ${url}`)), 10000);
    c.once("connect", () => { clearTimeout(timer); resolve(c); });
    c.once("error", (e) => { clearTimeout(timer); reject(e); });
  });
}
