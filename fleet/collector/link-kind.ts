// The kind of an uplink, guessed from its interface name. Messages carry names only; metrics label
// by kind, and the kinds are a fixed enum so that no router can add a label value.
export const LINK_KINDS = ["ethernet", "lte", "wifi", "other"] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

const RULES: Array<[RegExp, LinkKind]> = [
  [/^(wlan|wl|wifi|sta|ath|phy|ra)\d*/i, "wifi"],
  [/^(lte|wwan|cell|modem|usb|ppp|rmnet|mob|5g|4g|3g|gsm)/i, "lte"],
  [/^(wan|eth|en|lan|br)/i, "ethernet"],
];

export function linkKind(name: string | null | undefined): LinkKind {
  if (!name) return "other";
  for (const [re, kind] of RULES) if (re.test(name)) return kind;
  return "other";
}
