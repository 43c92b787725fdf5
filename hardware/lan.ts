// The clients' LAN on the board (esp32 only): a soft AP beside the Wi-Fi station, DHCP and DNS at
// the router, NAPT to whichever uplink is the default route (hardware/native/lan, dnsrelay). The
// credentials come from Preference; without valid ones there is no LAN, never an open one.
import WiFi from "wifi";
import Lan from "lan";
import DnsRelay from "dnsrelay";
import { LAN } from "./boards/esp32-router/board";
import { lanKeysProblem } from "./lan-keys";
import { setting } from "./provisioning";
import { PROVISIONED } from "./provisioned-keys";
import { log } from "./ports/log";

export function startLan(): boolean {
  const ssid = setting(PROVISIONED.lanSsid, "");
  if (!ssid) {
    log.log("warn", `no LAN: ${PROVISIONED.lanSsid} is not provisioned`);
    return false;
  }
  const problem = lanKeysProblem(ssid, setting(PROVISIONED.lanPassword, ""));
  if (problem) {
    log.log("error", `no LAN: ${problem}`);
    return false;
  }
  try {
    // The AP joins the driver the wifi module owns; without a station uplink nobody has started
    // it yet, and station mode is what the wifi module starts it in.
    if (WiFi.mode === WiFi.Mode.off) WiFi.mode = WiFi.Mode.station;
    Lan.start(ssid, setting(PROVISIONED.lanPassword, ""), LAN.maxStations);
    DnsRelay.start(LAN.ifkey);
  } catch (e) {
    log.log("error", `no LAN: ${String(e)}`);
    return false;
  }
  const s = Lan.status({ napt: false, dropAvailable: false });
  log.log("info", `LAN: AP up (WPA2/WPA3, ${LAN.maxStations} stations), DHCP and DNS at the router, NAPT ${s.napt ? "on" : "on at AP start"}` +
    (s.dropAvailable ? "" : "; stock esp-lwip: a switch cannot reset the old uplink's TCP flows (boards/esp32-router/lwip)"));
  return true;
}
