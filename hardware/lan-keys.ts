// The LAN's Wi-Fi credentials as the firmware accepts them. Pure (no Moddable or Node module):
// the board's LAN start (hardware/lan.ts) and the provisioning tool (fleet/broker/provisioning.ts)
// apply the same rules, so a unit is never provisioned with keys its firmware then refuses.

/** An SSID is 0-32 octets (IEEE 802.11); an empty one would make the AP hidden by accident. */
export const LAN_SSID_MAX_BYTES = 32;
/** WPA2-PSK's passphrase (IEEE 802.11 Annex M.4): 8 to 63 printable ASCII characters. */
export const LAN_PASS_MIN = 8;
export const LAN_PASS_MAX = 63;

function utf8Bytes(text: string): number {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/**
 * Why these credentials cannot make the LAN, or null when they can. 64 hex digits (a raw PSK)
 * is refused: WPA3-SAE needs the passphrase itself.
 */
export function lanKeysProblem(ssid: string, passphrase: string): string | null {
  const bytes = utf8Bytes(ssid);
  if (bytes < 1 || bytes > LAN_SSID_MAX_BYTES) return `LAN SSID is ${bytes} bytes; it must be 1 to ${LAN_SSID_MAX_BYTES}`;
  if (/[\u0000-\u001f\u007f]/.test(ssid)) return "LAN SSID has a control character";
  if (passphrase.length < LAN_PASS_MIN || passphrase.length > LAN_PASS_MAX) return `LAN passphrase is ${passphrase.length} characters; WPA2 needs ${LAN_PASS_MIN} to ${LAN_PASS_MAX}`;
  if (!/^[\x20-\x7e]*$/.test(passphrase)) return "LAN passphrase must be printable ASCII (WPA2 passphrase rule)";
  return null;
}
