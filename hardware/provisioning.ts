// What differs per unit (identity, broker, Wi-Fi uplink and LAN credentials) lives in Preference,
// written at provisioning under the keys of provisioned-keys.ts.
import Preference from "preference";
import { DOMAIN } from "./provisioned-keys";

/** A provisioned string, or `fallback` when the key is absent or not a string. */
export function setting(key: string, fallback: string): string {
  const v = Preference.get(DOMAIN, key);
  return typeof v === "string" ? v : fallback;
}

/** Provisioned bytes (a DER certificate or key), or undefined when absent or empty. */
export function bytes(key: string): ArrayBuffer | undefined {
  const v = Preference.get(DOMAIN, key);
  return v instanceof ArrayBuffer && v.byteLength > 0 ? v : undefined;
}
