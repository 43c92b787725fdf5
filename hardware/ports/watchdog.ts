// HardwareWatchdog on the esp_task_wdt native module (hardware/native/watchdog; a no-op stub on
// the desktop); reboot through System.restart(). Memory figures come from Moddable's
// instrumentation: the slot heap in slots (the creation's unit) and the chunk heap in bytes.
import TaskWatchdog from "taskwdt";
import Instrumentation from "instrumentation";
import config from "mc/config";
import type { HardwareWatchdog } from "../../src/ports";
import { log } from "./log";

/**
 * Instrumentation reports the slot heap in bytes; a slot is 16 bytes on the ESP32 and 32 on a
 * 64-bit desktop, so the manifest states it per platform (config.slotBytes).
 */
const SLOT_BYTES: number = typeof config.slotBytes === "number" ? config.slotBytes : 16;

// Indexes are looked up on first use, not when the module is evaluated: this module is preloaded
// by the linker, which has no instrumentation to ask.
let slotIndex: number | undefined;
let chunkIndex: number | undefined;

export function heapSlotsUsed(): number {
  slotIndex ??= Instrumentation.map("XS Slot Heap Used");
  return Math.round((Instrumentation.get(slotIndex) ?? 0) / SLOT_BYTES);
}

export function chunkBytesUsed(): number {
  chunkIndex ??= Instrumentation.map("XS Chunk Heap Used");
  return Instrumentation.get(chunkIndex) ?? 0;
}

export const watchdog: HardwareWatchdog = {
  arm: (ms) => TaskWatchdog.arm(ms),
  feed: () => TaskWatchdog.feed(),
  reboot(reason) {
    log.log("error", "reboot: " + reason);
    System.restart();
  },
  heapUsed: heapSlotsUsed,
  chunkUsed: chunkBytesUsed,
};
