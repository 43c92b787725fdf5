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
import { createMqttSession, type BrokerSettings } from "./ports/mqtt-session";
import { unprovisionedSession } from "./ports/no-session";
import { PROVISIONED } from "./boards/esp32-router/board";

function setting(key: string, fallback: string): string {
  const v = Preference.get("router", key);
  return typeof v === "string" ? v : fallback;
}

function bytes(key: string): ArrayBuffer | undefined {
  const v = Preference.get("router", key);
  return v instanceof ArrayBuffer && v.byteLength > 0 ? v : undefined;
}

/**
 * TLS with a pinned CA and this device's certificate when provisioned; a plain login only where
 * provisioning said "development". Anything else gets no broker at all rather than a session
 * whose password crosses the network in the clear.
 */
function brokerSettings(): BrokerSettings | null {
  const host = setting(PROVISIONED.brokerHost, "mqtt.local");
  const ca = bytes(PROVISIONED.tlsCa), cert = bytes(PROVISIONED.tlsCert), key = bytes(PROVISIONED.tlsKey);
  if (ca && cert && key) return { host, port: Number(setting(PROVISIONED.brokerPort, "8883")), tls: { ca, cert, key } };
  if (setting(PROVISIONED.devPlain, "") !== "1") return null;
  log.log("warn", "development broker login: plain MQTT with a password, not for deployment");
  return {
    host, port: Number(setting(PROVISIONED.brokerPort, "1883")),
    user: setting(PROVISIONED.brokerUser, "") || undefined,
    password: setting(PROVISIONED.brokerPassword, "") || undefined,
  };
}

export default function main(): void {
  const settings = brokerSettings();
  if (!settings) log.log("error", `no TLS material in Preference (${PROVISIONED.tlsCa}, ${PROVISIONED.tlsCert}, ${PROVISIONED.tlsKey}): no broker session`);
  const ssid = setting(PROVISIONED.wifiSsid, "");
  const uplinks = createUplinks(ssid ? { ssid, password: setting(PROVISIONED.wifiPassword, "") } : null);
  const ports: Ports = {
    clock, random, log, store, watchdog, uplinks,
    prober: createProber(uplinks),
    traffic: createTraffic(uplinks),
    mqtt: settings ? createMqttSession(settings) : unprovisionedSession(),
  };
  new Router(ports, { deviceId: setting(PROVISIONED.deviceId, "router-unprovisioned") }).start();
}
