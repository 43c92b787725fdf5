// What every board shares once its uplinks and prober exist: the ports on Moddable modules, the
// broker and identity from Preference, and the control plane started.
import { Router } from "../src/router";
import type { Ports, Prober, Traffic, Uplinks } from "../src/ports";
import { createClock } from "./ports/clock";
import { random } from "./ports/random";
import { log } from "./ports/log";
import { store } from "./ports/store";
import { watchdog } from "./ports/watchdog";
import { createMqttSession, type BrokerSettings } from "./ports/mqtt-session";
import { unprovisionedSession } from "./ports/no-session";
import { bytes, setting } from "./provisioning";
import { PROVISIONED } from "./provisioned-keys";

export interface BoardParts {
  uplinks: Uplinks;
  prober: Prober;
  /** Per-uplink interface counters; a board without them judges by probes alone. */
  traffic?: Traffic;
  /** A development board (the desktop build) may use a plain broker login without `devPlain`. */
  plainByDefault?: boolean;
}

const NO_TRAFFIC: Traffic = { read: () => false };

/**
 * TLS with a pinned CA and this device's certificate when provisioned; a plain login only where
 * provisioning (or a development board) says so. Anything else gets no broker at all rather than a
 * session whose password crosses the network in the clear.
 */
function brokerSettings(plainByDefault: boolean): BrokerSettings | null {
  const host = setting(PROVISIONED.brokerHost, "mqtt.local");
  const port = (fallback: number) => {
    const p = Number(setting(PROVISIONED.brokerPort, String(fallback)));
    return Number.isInteger(p) && p > 0 && p < 65536 ? p : fallback;
  };
  const ca = bytes(PROVISIONED.tlsCa), cert = bytes(PROVISIONED.tlsCert), key = bytes(PROVISIONED.tlsKey);
  if (ca && cert && key) return { host, port: port(8883), tls: { ca, cert, key } };
  if (setting(PROVISIONED.devPlain, plainByDefault ? "1" : "") !== "1") return null;
  log.log("warn", "development broker login: plain MQTT with a password, not for deployment");
  return {
    host, port: port(1883),
    user: setting(PROVISIONED.brokerUser, "") || undefined,
    password: setting(PROVISIONED.brokerPassword, "") || undefined,
  };
}

export function startRouter(parts: BoardParts): Router {
  const settings = brokerSettings(parts.plainByDefault ?? false);
  if (!settings) log.log("error", `no TLS material in Preference (${PROVISIONED.tlsCa}, ${PROVISIONED.tlsCert}, ${PROVISIONED.tlsKey}): no broker session`);
  const ports: Ports = {
    clock: createClock(), random, log, store, watchdog, uplinks: parts.uplinks, prober: parts.prober,
    traffic: parts.traffic ?? NO_TRAFFIC,
    mqtt: settings ? createMqttSession(settings) : unprovisionedSession(),
  };
  const router = new Router(ports, { deviceId: setting(PROVISIONED.deviceId, "router-unprovisioned") });
  // Every decision on the console too (serial / xsbug / the desktop's stdout): rare, and the first
  // thing anyone debugging a unit on the bench wants to see.
  router.onEvent((e) => log.log("info", "event " + JSON.stringify(e)));
  ports.mqtt.onConnected(() => log.log("info", "mqtt connected"));
  ports.mqtt.onDisconnected((reason) => log.log("warn", "mqtt disconnected: " + reason));
  router.start();
  return router;
}
