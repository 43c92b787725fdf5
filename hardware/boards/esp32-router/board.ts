// The reference board: ESP32 with an RMII Ethernet PHY (LAN8720), an LTE modem on UART2 with a
// power-key pin, and the Wi-Fi station. Pins follow the ESP32-Ethernet-Kit layout for the PHY.
import type { LinkKind } from "../../../src/ports";

export interface LinkWiring {
  name: string;
  kind: LinkKind;
  /** esp_netif key of the interface. */
  ifkey: "ETH_DEF" | "PPP_DEF" | "WIFI_STA_DEF";
}

export const LINKS: readonly LinkWiring[] = [
  { name: "wan0", kind: "ethernet", ifkey: "ETH_DEF" },
  { name: "lte0", kind: "lte", ifkey: "PPP_DEF" },
  { name: "wlan0", kind: "wifi", ifkey: "WIFI_STA_DEF" },
];

export const MODEM = {
  /** UART2 carries AT commands (the modem's second port; PPP runs on the first through esp_modem). */
  port: 2,
  receive: 16,
  transmit: 17,
  baud: 115200,
  /** PWRKEY: pulled low for 1.2 s to power-cycle the modem. */
  powerKey: 4,
};

/**
 * Preference keys (domain "router", NVS: at most 15 characters) for what differs per device; set
 * at provisioning. The TLS entries are DER bytes (ArrayBuffer values): the CA that signed the
 * broker's certificate, this device's certificate and its private key. The NVS partition is
 * encrypted (sdkconfig), so none of them sits in flash in the clear.
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
} as const;
