// Where the firmware runs for one boot of the simulated device: in this Node process, or inside
// an XS worker (sim/xs). Either way it gets the same simulated ports and reports the same events.
import type { Ports } from "../../src/ports";
import type { RouterEvent } from "../../src/telemetry/events";
import { Router } from "../../src/router";
import type { LinkReport } from "../../src/telemetry/telemetry";

/** What the simulator and the tests may ask of a running firmware, on either host. */
export interface FirmwareView {
  active: string | null;
  queued: number;
  connected: boolean;
  safeMode: boolean;
  configVersion: number;
  /** The boot's random id (birth, heartbeat, events). */
  bootId: string;
  links: Array<LinkReport & { deadTargets: number }>;
}

export interface FirmwareInstance {
  view(): FirmwareView | null;
}

export interface FirmwareHost {
  readonly name: "node" | "xs";
  boot(ports: Ports, boot: number, deviceId: string, onEvent: (e: RouterEvent) => void): FirmwareInstance;
  dispose(): void;
}

export function viewOf(r: Router): FirmwareView {
  return {
    active: r.controller.active, queued: r.telemetry.queued, connected: r.telemetry.connected, safeMode: r.safeMode, configVersion: r.cfg.version, bootId: r.bootId,
    links: r.linkReports().map((l, i) => ({ ...l, deadTargets: r.monitors[i].deadTargets })),
  };
}

export const nodeHost: FirmwareHost = {
  name: "node",
  boot(ports, _boot, deviceId, onEvent) {
    const router = new Router(ports, { deviceId });
    router.onEvent(onEvent);
    router.start();
    return { view: () => viewOf(router) };
  },
  dispose() {},
};
