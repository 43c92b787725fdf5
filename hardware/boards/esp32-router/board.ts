// The reference board: ESP32 with its internal Ethernet MAC and an RMII LAN8720 PHY (address 1,
// MDC GPIO23, MDIO GPIO18, 50 MHz reference clock into GPIO0: the manifest's esp32 "ethernet"
// defines), an LTE modem on UART2 with a power-key pin, and the Wi-Fi station. The modem's pins
// stay clear of the RMII pins (0, 18, 19, 21, 22, 23, 25, 26, 27).
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

/** The clients' LAN: the Wi-Fi soft AP (esp-netif's "WIFI_AP_DEF", 192.168.4.1/24 by default). */
export const LAN = {
  ifkey: "WIFI_AP_DEF",
  /** Stations the AP admits; the DHCP server keeps as many leases (sdkconfig LWIP_DHCPS_MAX_STATION_NUM). */
  maxStations: 8,
} as const;
