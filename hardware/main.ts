// Device entry: build the ports from Moddable modules and start the control plane. Everything
// device-specific that differs per unit (identity, broker, Wi-Fi credentials) comes from
// Preference, written at provisioning.
import Preference from "preference";
import { Router } from "../src/router";
import type { Ports } from "../src/ports";
import { clock } from "./ports/clock";
import { random } from "./ports/random";
import { log } from "./ports/log";
import { store } from "./ports/store";
import { watchdog } from "./ports/watchdog";
import { createUplinks } from "./ports/uplinks";
import { createProber } from "./ports/prober";
import { createTraffic } from "./ports/traffic";
import { createMqttSession } from "./ports/mqtt-session";
import { PROVISIONED } from "./boards/esp32-router/board";

function setting(key: string, fallback: string): string {
  const v = Preference.get("router", key);
  return typeof v === "string" ? v : fallback;
}

export default function main(): void {
  const ssid = setting(PROVISIONED.wifiSsid, "");
  const uplinks = createUplinks(ssid ? { ssid, password: setting(PROVISIONED.wifiPassword, "") } : null);
  const ports: Ports = {
    clock, random, log, store, watchdog, uplinks,
    prober: createProber(uplinks),
    traffic: createTraffic(uplinks),
    mqtt: createMqttSession({
      host: setting(PROVISIONED.brokerHost, "mqtt.local"),
      port: Number(setting(PROVISIONED.brokerPort, "1883")),
      user: setting(PROVISIONED.brokerUser, "") || undefined,
      password: setting(PROVISIONED.brokerPassword, "") || undefined,
    }),
  };
  new Router(ports, { deviceId: setting(PROVISIONED.deviceId, "router-unprovisioned") }).start();
}
