// What differs per unit (identity, broker, Wi-Fi uplink and LAN credentials) lives in Preference, domain "router",
// written at provisioning. Keys are NVS keys: at most 15 characters.
import Preference from "preference";

export const DOMAIN = "router";

/**
 * The TLS entries are DER bytes (ArrayBuffer values): the CA that signed the broker's certificate,
 * this device's certificate and its private key. The NVS partition is encrypted (sdkconfig), so
 * none of them sits in flash in the clear.
 */
export const PROVISIONED = {
  deviceId: "id",
  brokerHost: "mqttHost",
  brokerPort: "mqttPort",
  tlsCa: "tlsCa",
  tlsCert: "tlsCert",
  tlsKey: "tlsKey",
  /** Development only: "1" allows plain MQTT with the password login below when no TLS is provisioned. */
  devPlain: "devPlain",
  brokerUser: "mqttUser",
  brokerPassword: "mqttPass",
  wifiSsid: "wifiSsid",
  wifiPassword: "wifiPass",
  /** The clients' LAN (esp32 soft AP, WPA2/WPA3): SSID 1-32 bytes, passphrase 8-63 characters (lan-keys.ts). */
  lanSsid: "lanSsid",
  lanPassword: "lanPass",
  /** Desktop build only: the simulated uplinks and the loopback address that stands for each one's path. */
  desktopLinks: "links",
} as const;

/** A provisioned string, or `fallback` when the key is absent or not a string. */
export function setting(key: string, fallback: string): string {
  const v = Preference.get(DOMAIN, key);
  return typeof v === "string" ? v : fallback;
}

/** Provisioned bytes (a DER certificate or key), or undefined when absent or empty. */
export function bytes(key: string): ArrayBuffer | undefined {
  const v = Preference.get(DOMAIN, key);
  return v instanceof ArrayBuffer && v.byteLength > 0 ? v : undefined;
}
