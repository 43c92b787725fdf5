// The desktop build's uplinks, from Preference (key "links"), entries separated by commas. Two
// forms, never mixed:
// - "name:kind:address" (e.g. "wan0:ethernet:127.0.1.1"): a stand-in path on a machine with one
//   network. Every probe over the link goes to that loopback address; blackholing the address
//   (iptables) cuts the link for real, but nobody's traffic crosses it.
// - "name:kind:dev:gateway" (e.g. "wan0:ethernet:wan0:100.64.1.1"): a real uplink, a Linux
//   interface and its gateway. The app is then a router: it moves the default route, drops the
//   old uplink's NAT state on a switch and probes each uplink over itself (kernel-uplinks.ts).
import type { LinkKind } from "../../src/ports";

export interface DesktopLink {
  name: string;
  kind: LinkKind;
  /** Stand-in form: the IPv4 address that stands for the link's path. */
  via?: string;
  /** Real form: the interface and its gateway. */
  dev?: string;
  gateway?: string;
}

export const DEFAULT_LINKS = "wan0:ethernet:127.0.1.1,lte0:lte:127.0.1.2";

const MAX_TEXT = 256;
const MAX_LINKS = 4;
// Patterns are made where they are used: a RegExp made while a module is preloaded would crash
// XS (build.mjs says why).
const NAME = () => /^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/;
/** Linux interface names: at most 15 bytes, no '/', not "." or "..". */
const DEV = () => /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
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
    if (fields.length !== 3 && fields.length !== 4) return { error: `links[${i}]: expected name:kind:address or name:kind:dev:gateway` };
    const [name, kind] = fields;
    if (!NAME().test(name)) return { error: `links[${i}]: bad link name` };
    if (!KINDS.includes(kind as LinkKind)) return { error: `links[${i}]: kind must be ethernet, lte or wifi` };
    if (links.some((l) => l.name === name)) return { error: `links[${i}]: duplicate name` };
    if (i > 0 && (fields.length === 4) !== (links[0].dev !== undefined)) return { error: `links[${i}]: stand-in and real uplinks cannot be mixed` };
    if (fields.length === 3) {
      if (!ipv4(fields[2])) return { error: `links[${i}]: address must be dotted IPv4` };
      links.push({ name, kind: kind as LinkKind, via: fields[2] });
    } else {
      if (!DEV().test(fields[2]) || fields[2] === "." || fields[2] === "..") return { error: `links[${i}]: bad interface name` };
      if (links.some((l) => l.dev === fields[2])) return { error: `links[${i}]: interface ${fields[2]} used twice` };
      if (!ipv4(fields[3])) return { error: `links[${i}]: gateway must be dotted IPv4` };
      links.push({ name, kind: kind as LinkKind, dev: fields[2], gateway: fields[3] });
    }
  }
  return { links };
}
