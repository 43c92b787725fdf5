// The Preference keys a unit is provisioned with, in one home: the firmware reads them
// (provisioning.ts) and the provisioning tool writes them (fleet/broker/provisioning.ts). Pure (no
// Moddable or Node module), so both can import it. Keys are NVS keys (src/config/store-keys.ts).

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
