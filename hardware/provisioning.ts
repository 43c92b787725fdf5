// What differs per unit (identity, broker, Wi-Fi credentials) lives in Preference, domain "router",
// written at provisioning. Keys are NVS keys: at most 15 characters.
import Preference from "preference";

export const DOMAIN = "router";

export const PROVISIONED = {
  deviceId: "id",
  brokerHost: "mqttHost",
  brokerPort: "mqttPort",
  brokerUser: "mqttUser",
  brokerPassword: "mqttPass",
  wifiSsid: "wifiSsid",
  wifiPassword: "wifiPass",
  /** Desktop build only: the simulated uplinks and the loopback address that stands for each one's path. */
  desktopLinks: "links",
} as const;

/** A provisioned string, or `fallback` when the key is absent or not a string. */
export function setting(key: string, fallback: string): string {
  const v = Preference.get(DOMAIN, key);
  return typeof v === "string" ? v : fallback;
}
