// Prober on the ESP32 board: the routed prober (routed-prober.ts) with ICMP through the netif
// native module, bound to the link's esp_netif.
import Netif from "netif";
import type { Prober } from "../../src/ports";
import type { BoardUplinks } from "./uplinks";
import { createRoutedProber } from "./routed-prober";

export function createProber(uplinks: BoardUplinks): Prober {
  return createRoutedProber(Netif.ping, {
    interfaceOf: (link) => uplinks.wiring(link).ifkey,
    isDefault: (link) => uplinks.defaultLink()?.name === link,
  });
}
