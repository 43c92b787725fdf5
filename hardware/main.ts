// Device entry (ESP32 board): the board's three uplinks, the prober bound to them and their traffic
// counters, then the shared start. Wi-Fi credentials come from Preference, written at provisioning.
import { createUplinks } from "./ports/uplinks";
import { createProber } from "./ports/prober";
import { createTraffic } from "./ports/traffic";
import { startRouter } from "./start";
import { PROVISIONED, setting } from "./provisioning";

export default function main(): void {
  const ssid = setting(PROVISIONED.wifiSsid, "");
  const uplinks = createUplinks(ssid ? { ssid, password: setting(PROVISIONED.wifiPassword, "") } : null);
  startRouter({ uplinks, prober: createProber(uplinks), traffic: createTraffic(uplinks) });
}
