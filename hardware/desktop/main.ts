// Desktop entry (lin, mac): the uplinks provisioned in Preference (or two loopback stand-ins).
// Real interfaces make the app a router on the Linux kernel (kernel-uplinks.ts); stand-ins probe
// one loopback address per link. Then the shared start.
import Linnet from "linnet";
import { startRouter } from "../start";
import { setting } from "../provisioning";
import { PROVISIONED } from "../provisioned-keys";
import { log } from "../ports/log";
import { createRoutedProber } from "../ports/routed-prober";
import { DEFAULT_LINKS, parseLinks, type DesktopLink } from "./links";
import { createDesktopUplinks } from "./uplinks";
import { createDesktopProber } from "./prober";
import { createKernelUplinks } from "./kernel-uplinks";
import { createKernelTraffic } from "./kernel-traffic";

function provisionedLinks(): DesktopLink[] {
  const parsed = parseLinks(setting(PROVISIONED.desktopLinks, DEFAULT_LINKS));
  if ("links" in parsed) return parsed.links;
  log.log("error", `Preference router/${PROVISIONED.desktopLinks} rejected (${parsed.error}); using ${DEFAULT_LINKS}`);
  return (parseLinks(DEFAULT_LINKS) as { links: DesktopLink[] }).links;
}

export default function main(): void {
  const links = provisionedLinks();
  // A development board: plain MQTT to a local broker unless TLS material is provisioned.
  if (links[0].dev !== undefined) {
    const uplinks = createKernelUplinks(links);
    startRouter({ uplinks, prober: createRoutedProber(Linnet.ping, uplinks), traffic: createKernelTraffic(uplinks), plainByDefault: true });
    return;
  }
  const uplinks = createDesktopUplinks(links);
  startRouter({ uplinks, prober: createDesktopProber(uplinks), plainByDefault: true });
}
