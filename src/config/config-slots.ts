// Two config slots and a pointer: a new config is written whole into the slot not in use, then
// the pointer moves (one NVS key write, atomic). Rolling back moves the pointer back; the old
// config is still there, untouched.
import type { Store } from "../ports";
import { KEY_SLOT, SLOT_KEYS, STORE_VALUE_BYTES } from "./store-keys";

export { KEY_SLOT, SLOT_KEYS };
/**
 * Largest config text a slot takes, in UTF-8 bytes: one Store value (store-keys.ts), which the
 * known-good copy must fit as well. Checked before any write.
 */
export const CONFIG_MAX_BYTES = STORE_VALUE_BYTES;

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
