// Connecting to a broker as one of the fleet's identities (tests, bench, the simulated routers).
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Identity } from "./credentials";

/**
 * How `who` logs in at `url`: over mqtts:// with its client certificate (the certificate is the
 * login; no password is sent), over wss:// with its password inside TLS, and in the clear only on
 * mqtt:// and ws:// (development on loopback). TLS always checks the broker against the fleet's CA.
 */
export function loginOptions(url: string, who: Identity | undefined): IClientOptions {
  const tls = /^(mqtts|wss):/.test(url);
  const o: IClientOptions = {};
  if (tls) {
    o.rejectUnauthorized = true;
    if (who?.tls) o.ca = who.tls.ca;
  }
  if (url.startsWith("mqtts:") && who?.tls?.cert && who.tls.key) {
    o.cert = who.tls.cert;
    o.key = who.tls.key;
    return o;
  }
  if (who) {
    o.username = who.username;
    if (who.password) o.password = who.password;
  }
  return o;
}

export function connect(url: string, who: Identity, extra: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId: who.username, reconnectPeriod: 500, connectTimeout: 5000, ...loginOptions(url, who), ...extra });
    const failed = (e: Error) => { clearTimeout(timer); c.end(true); reject(e); };
    const timer = setTimeout(() => failed(new Error(`${who.username} could not connect to ${url}`)), 10000);
    c.once("connect", () => { clearTimeout(timer); c.off("error", failed); resolve(c); });
    // Until connected, an error is the answer (after that, the client reconnects by itself).
    c.once("error", failed);
  });
}
