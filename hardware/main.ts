// Device entry (ESP32 board): the board's three uplinks and the prober bound to them, then the
// shared start. Wi-Fi credentials come from Preference, written at provisioning.
import { createUplinks } from "./ports/uplinks";
import { createProber } from "./ports/prober";
import { startRouter } from "./start";
import { PROVISIONED, setting } from "./provisioning";

export default function main(): void {
  const ssid = setting(PROVISIONED.wifiSsid, "");
  const uplinks = createUplinks(ssid ? { ssid, password: setting(PROVISIONED.wifiPassword, "") } : null);
  startRouter(uplinks, createProber(uplinks));
}
