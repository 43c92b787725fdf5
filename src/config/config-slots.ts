// Two config slots and a pointer: a new config is written whole into the slot not in use, then
// the pointer moves (one NVS key write, atomic). Rolling back moves the pointer back; the old
// config is still there, untouched.
import type { Store } from "../ports";

export const KEY_SLOT = "cfgSlot";
/**
 * Largest config text a slot takes, in UTF-8 bytes: NVS holds 4000 per value, counting the
 * string's terminating NUL, and the known-good copy must fit as well. Checked before any write.
 */
export const CONFIG_MAX_BYTES = 3800;
export const SLOT_KEYS = ["cfg0", "cfg1"] as const;

export function activeSlot(store: Store): 0 | 1 {
  return store.get(KEY_SLOT) === "1" ? 1 : 0;
}

export function activeConfigKey(store: Store): string {
  return SLOT_KEYS[activeSlot(store)];
}

/** Write `json` to the idle slot and make it active. Returns the slot it replaced. */
export function switchTo(store: Store, json: string): 0 | 1 {
  const from = activeSlot(store);
  const to = from === 0 ? 1 : 0;
  store.set(SLOT_KEYS[to], json);
  store.set(KEY_SLOT, String(to));
  return from;
}

export function pointTo(store: Store, slot: 0 | 1): void {
  store.set(KEY_SLOT, String(slot));
}
