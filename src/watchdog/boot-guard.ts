// Boot-loop guard. Every boot counts itself in the Store before doing anything risky; a boot that
// runs for `stableAfterMs` without crashing clears the count, and its config is promoted to
// last-known-good once it has also had a working uplink. When `bootLoopCount` boots in a row never
// got there, this boot runs in safe mode on that good config.
//
// Safe mode is for crash and boot loops, not for reboots the firmware chose: a deliberate reboot
// (the escalation ladder, cmd/reboot) leaves a mark first, and the boot after it does not count.
// A hardware-watchdog reset or a crash leaves no mark, so it counts.
import type { Store } from "../ports";
import { KEY_BOOTS, KEY_DELIBERATE, KEY_EPOCH, KEY_GOOD_CONFIG } from "../config/store-keys";

export { KEY_BOOTS, KEY_DELIBERATE, KEY_EPOCH, KEY_GOOD_CONFIG };

export interface BootRecord {
  boots: number;
  safeMode: boolean;
}

/** Count this boot, unless the previous one rebooted deliberately (then the count stands). */
export function countBoot(store: Store, bootLoopCount: number, deliberate = false): BootRecord {
  const prev = Number.parseInt(store.get(KEY_BOOTS) ?? "0", 10);
  const valid = Number.isFinite(prev) && prev > 0 ? prev : 0;
  const boots = deliberate ? valid : valid + 1;
  if (!deliberate) store.set(KEY_BOOTS, String(boots));
  return { boots, safeMode: boots >= bootLoopCount };
}

/**
 * Before a deliberate reboot: mark it so the next boot does not count toward the loop limit.
 * `ladderReboots` is how many ladder reboots in a row this one makes (0 for a command), so the
 * next boot can back off before rebooting again.
 */
export function markDeliberateReboot(store: Store, ladderReboots: number): void {
  store.set(KEY_DELIBERATE, String(ladderReboots));
}

/** At boot: was the last reboot deliberate, and after how many ladder reboots in a row. Clears the mark. */
export function takeDeliberateMark(store: Store): { deliberate: boolean; ladderReboots: number } {
  const v = store.get(KEY_DELIBERATE);
  if (v === undefined) return { deliberate: false, ladderReboots: 0 };
  store.remove(KEY_DELIBERATE);
  const n = Number.parseInt(v, 10);
  return { deliberate: true, ladderReboots: Number.isFinite(n) && n > 0 ? n : 0 };
}

/** This boot has proved itself: forget the loop count and, if given, keep its config as known-good. */
export function markStable(store: Store, configJson: string | null): void {
  if (store.get(KEY_BOOTS) !== "0") store.set(KEY_BOOTS, "0");
  if (configJson !== null) store.set(KEY_GOOD_CONFIG, configJson);
}

/** Largest epoch (the message schemas say the same): a damaged store cannot make one absurd. */
export const EPOCH_MAX = 2147483647;

/** A number no earlier boot of this device used: events are named by (epoch, seq). */
export function nextEpoch(store: Store): number {
  const prev = Number.parseInt(store.get(KEY_EPOCH) ?? "0", 10);
  // After 2^31 - 1 boots (or a damaged record) it starts again at 1 rather than reporting 1e308.
  const epoch = (Number.isFinite(prev) && prev > 0 && prev < EPOCH_MAX ? prev : 0) + 1;
  store.set(KEY_EPOCH, String(epoch));
  return epoch;
}
