// Boot-loop guard. Every boot counts itself in the Store before doing anything risky; a boot that
// stays up for `stableAfterMs` clears the count and promotes its config to last-known-good. When
// `bootLoopCount` boots in a row never got there, this boot runs in safe mode on that good config.
import type { Store } from "../ports";

export const KEY_BOOTS = "boots";
export const KEY_EPOCH = "epoch";
export const KEY_GOOD_CONFIG = "cfgGood";

export interface BootRecord {
  boots: number;
  safeMode: boolean;
}

export function countBoot(store: Store, bootLoopCount: number): BootRecord {
  const prev = Number.parseInt(store.get(KEY_BOOTS) ?? "0", 10);
  const boots = (Number.isFinite(prev) && prev > 0 ? prev : 0) + 1;
  store.set(KEY_BOOTS, String(boots));
  return { boots, safeMode: boots >= bootLoopCount };
}

/** This boot has proved itself: forget the loop count and keep its config as known-good. */
export function markStable(store: Store, configJson: string | null): void {
  store.set(KEY_BOOTS, "0");
  if (configJson !== null) store.set(KEY_GOOD_CONFIG, configJson);
}

/** A number no earlier boot of this device used: events are named by (epoch, seq). */
export function nextEpoch(store: Store): number {
  const prev = Number.parseInt(store.get(KEY_EPOCH) ?? "0", 10);
  const epoch = (Number.isFinite(prev) && prev > 0 ? prev : 0) + 1;
  store.set(KEY_EPOCH, String(epoch));
  return epoch;
}
