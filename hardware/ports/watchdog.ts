// HardwareWatchdog on the esp_task_wdt native module (hardware/native/watchdog); reboot through
// System.restart().
import TaskWatchdog from "taskwdt";
import Instrumentation from "instrumentation";
import type { HardwareWatchdog } from "../../src/ports";
import { log } from "./log";

const SLOT_HEAP = Instrumentation.map("XS Slot Heap Used");

export const watchdog: HardwareWatchdog = {
  arm: (ms) => TaskWatchdog.arm(ms),
  feed: () => TaskWatchdog.feed(),
  reboot(reason) {
    log.log("error", "reboot: " + reason);
    System.restart();
  },
  heapUsed: () => Instrumentation.get(SLOT_HEAP) ?? 0,
};
