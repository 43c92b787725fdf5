// Device entry (ESP32 board): the board's three uplinks, the prober bound to them and their traffic
// counters, the clients' LAN, then the shared start. Wi-Fi and LAN credentials come from
// Preference, written at provisioning.
import { createUplinks } from "./ports/uplinks";
import { createProber } from "./ports/prober";
import { createTraffic } from "./ports/traffic";
import { startRouter } from "./start";
import { startLan } from "./lan";
import { setting } from "./provisioning";
import { PROVISIONED } from "./provisioned-keys";

export default function main(): void {
  const ssid = setting(PROVISIONED.wifiSsid, "");
  const uplinks = createUplinks(ssid ? { ssid, password: setting(PROVISIONED.wifiPassword, "") } : null);
  // After the uplinks: the station (if any) has initialised the Wi-Fi driver the AP joins. The
  // router runs without a LAN when it cannot start (it still reports, and its uplinks still fail over).
  startLan();
  startRouter({ uplinks, prober: createProber(uplinks), traffic: createTraffic(uplinks) });
}
