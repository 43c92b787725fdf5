// What every board shares once its uplinks and prober exist: the ports on Moddable modules, the
// broker and identity from Preference, and the control plane started.
import { Router } from "../src/router";
import type { Ports, Prober, Uplinks } from "../src/ports";
import { createClock } from "./ports/clock";
import { random } from "./ports/random";
import { log } from "./ports/log";
import { store } from "./ports/store";
import { watchdog } from "./ports/watchdog";
import { createMqttSession } from "./ports/mqtt-session";
import { PROVISIONED, setting } from "./provisioning";

export function startRouter(uplinks: Uplinks, prober: Prober): Router {
  const port = Number(setting(PROVISIONED.brokerPort, "1883"));
  const ports: Ports = {
    clock: createClock(), random, log, store, watchdog, uplinks, prober,
    mqtt: createMqttSession({
      host: setting(PROVISIONED.brokerHost, "mqtt.local"),
      port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 1883,
      user: setting(PROVISIONED.brokerUser, "") || undefined,
      password: setting(PROVISIONED.brokerPassword, "") || undefined,
    }),
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
