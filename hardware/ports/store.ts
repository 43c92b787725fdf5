// Store on Preference (NVS). One domain; keys <= 15 chars and values <= 4000 bytes are NVS limits
// the firmware already respects. NVS writes a key atomically, which is the replace the port promises.
import Preference from "preference";
import type { Store } from "../../src/ports";
import { DOMAIN } from "../provisioning";

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
