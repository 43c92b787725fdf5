// Uplinks on the desktop build: the links provisioned in Preference, each with its carrier up (a
// loopback address has no cable to pull; a cut path is a blackhole, found by the probes).
// setDefault only records the choice: the desktop has one routing table, shared with everything
// else on the machine.
import type { LinkInfo, Uplinks } from "../../src/ports";
import type { DesktopLink } from "./links";
import { log } from "../ports/log";

export interface DesktopUplinks extends Uplinks {
  via(link: string): string;
}

export function createDesktopUplinks(links: readonly DesktopLink[]): DesktopUplinks {
  const infos: LinkInfo[] = links.map((l) => ({ name: l.name, kind: l.kind }));
  const find = (name: string): DesktopLink => {
    const l = links.find((x) => x.name === name);
    if (!l) throw new Error("unknown link " + name);
    return l;
  };
  return {
    list: () => infos,
    carrier: (name) => links.some((l) => l.name === name),
    onCarrier: () => {},
    setDefault(name) {
      log.log("info", `default route: ${name} (via ${find(name).via})`);
    },
    reset(name) {
      log.log("info", `reset ${name}: nothing to reset on the desktop`);
    },
    via: (name) => find(name).via ?? "",
  };
}
