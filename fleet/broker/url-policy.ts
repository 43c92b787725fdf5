// Which broker URLs a tool may use: TLS anywhere, plain MQTT or WebSockets only on loopback (a
// password sent in the clear to another machine can be read by anyone on the path), unless the
// user insists.
import { isIP } from "node:net";

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

export function isTlsUrl(url: string): boolean {
  return /^(mqtts|wss):\/\//.test(url);
}

/** Throws a message for the user when `url` is not a broker URL or would leak a password. */
export function checkBrokerUrl(url: string, allowPlaintext = false): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--broker '${url}' is not a URL (mqtt://, mqtts://, ws:// or wss://)`);
  }
  if (!["mqtt:", "mqtts:", "ws:", "wss:"].includes(u.protocol) || !u.hostname) {
    throw new Error(`--broker '${url}' is not an mqtt://, mqtts://, ws:// or wss:// URL`);
  }
  if (!isTlsUrl(url) && !isLoopback(u.hostname) && !allowPlaintext) {
    throw new Error(`--broker ${u.protocol}//${u.host} is plaintext to another machine: use mqtts:// (or wss://) with --ca, ` +
      "or add --allow-plaintext for a lab network you trust");
  }
  return u;
}
