// Traffic port on the Linux kernel's interface counters (the desktop build as a router).
import Linnet from "linnet";
import type { Traffic } from "../../src/ports";
import type { KernelUplinks } from "./kernel-uplinks";
import { ticksToNow } from "../ports/clock";

export function createKernelTraffic(uplinks: KernelUplinks): Traffic {
  return {
    read(link, into) {
      if (!Linnet.counters(uplinks.dev(link), into)) return false;
      if (into.lastRxAt >= 0) into.lastRxAt = ticksToNow(into.lastRxAt);
      return true;
    },
  };
}
