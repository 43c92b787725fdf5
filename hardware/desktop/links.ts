// The desktop build's uplinks, from Preference (key "links"): "name:kind:address" separated by
// commas, e.g. "wan0:ethernet:127.0.1.1,lte0:lte:127.0.1.2". A desktop has one network, so each
// simulated uplink is a loopback address standing for its path: every probe over the link goes to
// that address, and blackholing the address (iptables) cuts the link for real.
import type { LinkKind } from "../../src/ports";

export interface DesktopLink {
  name: string;
  kind: LinkKind;
  /** IPv4 address that stands for the link's path (its gateway). */
  via: string;
}

export const DEFAULT_LINKS = "wan0:ethernet:127.0.1.1,lte0:lte:127.0.1.2";

const MAX_TEXT = 256;
const MAX_LINKS = 4;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/;
const KINDS: readonly LinkKind[] = ["ethernet", "lte", "wifi"];

function ipv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

/** The links, or an error naming the bad entry (the caller falls back to the defaults). */
export function parseLinks(text: string): { links: DesktopLink[] } | { error: string } {
  if (text.length > MAX_TEXT) return { error: `links: ${text.length} characters, at most ${MAX_TEXT}` };
  const entries = text.split(",");
  if (entries.length > MAX_LINKS) return { error: `links: ${entries.length} entries, at most ${MAX_LINKS}` };
  const links: DesktopLink[] = [];
  for (let i = 0; i < entries.length; i++) {
    const fields = entries[i].trim().split(":");
    if (fields.length !== 3) return { error: `links[${i}]: expected name:kind:address` };
    const [name, kind, via] = fields;
    if (!NAME.test(name)) return { error: `links[${i}]: bad link name` };
    if (!KINDS.includes(kind as LinkKind)) return { error: `links[${i}]: kind must be ethernet, lte or wifi` };
    if (!ipv4(via)) return { error: `links[${i}]: address must be dotted IPv4` };
    if (links.some((l) => l.name === name)) return { error: `links[${i}]: duplicate name` };
    links.push({ name, kind: kind as LinkKind, via });
  }
  return { links };
}
