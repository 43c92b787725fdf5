// Traffic port on the netif native module's per-interface counters (hooks on lwIP's netif input
// and output; see hardware/native/netif/netif.c for why not lwIP's own statistics).
import Netif from "netif";
import type { Traffic } from "../../src/ports";
import type { BoardUplinks } from "./uplinks";
import { ticksToNow } from "./clock";

export function createTraffic(uplinks: BoardUplinks): Traffic {
  return {
    read(link, into) {
      if (!Netif.counters(uplinks.wiring(link).ifkey, into)) return false;
      // The module stamps on Time.ticks; the monitor compares with Clock.now().
      if (into.lastRxAt >= 0) into.lastRxAt = ticksToNow(into.lastRxAt);
      return true;
    },
  };
}
