// Desktop entry (lin, mac): the uplinks provisioned in Preference (or two loopback defaults), the
// prober that sends each link's probes to its loopback address, then the shared start.
import { startRouter } from "../start";
import { PROVISIONED, setting } from "../provisioning";
import { log } from "../ports/log";
import { DEFAULT_LINKS, parseLinks, type DesktopLink } from "./links";
import { createDesktopUplinks } from "./uplinks";
import { createDesktopProber } from "./prober";

function provisionedLinks(): DesktopLink[] {
  const parsed = parseLinks(setting(PROVISIONED.desktopLinks, DEFAULT_LINKS));
  if ("links" in parsed) return parsed.links;
  log.log("error", `Preference router/${PROVISIONED.desktopLinks} rejected (${parsed.error}); using ${DEFAULT_LINKS}`);
  return (parseLinks(DEFAULT_LINKS) as { links: DesktopLink[] }).links;
}

export default function main(): void {
  const uplinks = createDesktopUplinks(provisionedLinks());
  // A development board: plain MQTT to a local broker unless TLS material is provisioned.
  startRouter({ uplinks, prober: createDesktopProber(uplinks), plainByDefault: true });
}
