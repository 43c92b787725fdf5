// Which config this boot runs: the stored one, or in safe mode (or when the stored one is
// broken) the last known-good one, or the built-in defaults. A broken stored config is reported,
// never half-applied.
import type { Store } from "../ports";
import { KEY_GOOD_CONFIG } from "./store-keys";
import { activeConfigKey } from "./config-slots";
import { defaultConfig, parseConfig, type DeviceConfig } from "./config";

export interface BootConfig {
  cfg: DeviceConfig;
  /** The stored text this config came from (null for defaults), promoted to known-good once stable. */
  json: string | null;
  source: "stored" | "known-good" | "defaults";
  rejected: string | null;
}

function fromKey(store: Store, key: string): { cfg: DeviceConfig; json: string } | { error: string } | null {
  const json = store.get(key);
  if (json === undefined) return null;
  const p = parseConfig(json);
  return p.ok ? { cfg: p.value, json } : { error: p.error };
}

export function loadBootConfig(store: Store, safeMode: boolean): BootConfig {
  let rejected: string | null = null;
  if (!safeMode) {
    const s = fromKey(store, activeConfigKey(store));
    if (s && "cfg" in s) return { cfg: s.cfg, json: s.json, source: "stored", rejected };
    if (s) rejected = s.error;
  }
  const g = fromKey(store, KEY_GOOD_CONFIG);
  if (g && "cfg" in g) return { cfg: g.cfg, json: g.json, source: "known-good", rejected };
  return { cfg: defaultConfig(), json: null, source: "defaults", rejected };
}

/** The boot-loop limit must be known before the config is chosen: read it leniently. */
export function peekBootLoopCount(store: Store): number {
  const s = fromKey(store, activeConfigKey(store));
  return s && "cfg" in s ? s.cfg.watchdog.bootLoopCount : defaultConfig().watchdog.bootLoopCount;
}
