// Store on Preference (NVS on the ESP32, desktop/preference.ts on lin). One domain; keys <= 15
// chars and values <= 4000 bytes are NVS limits the firmware already respects. NVS writes a value
// atomically, but the SDK's ESP32 Preference.set erases the key first (an ESP-IDF type-change
// workaround): a power cut between the two loses that one key. The firmware's two config slots
// and small queue records are what keep that from losing more.
import Preference from "preference";
import type { Store } from "../../src/ports";
import { DOMAIN } from "../provisioned-keys";

export const store: Store = {
  get(key) {
    const v = Preference.get(DOMAIN, key);
    return typeof v === "string" ? v : undefined;
  },
  set(key, value) {
    Preference.set(DOMAIN, key, value);
  },
  remove(key) {
    Preference.delete(DOMAIN, key);
  },
};
