// Faults as the kernel makes them, in the primary ISP's namespace (isp-a): what a router in the
// field meets, not what a simulator assumes. Each is applied and cleared by name; every rule
// carries one comment so that clearing removes exactly what was added.
import { inNs } from "./ns";
import type { Topology } from "./topology";

export type FaultName = "blackhole" | "carrier-down" | "loss-10" | "gaps-1s" | "icmp-filtered" | "bufferbloat";

export interface FaultPlan {
  name: FaultName;
  /** What an operator would call it. */
  what: string;
  /** How long the fault lasts. */
  holdMs: number;
  /** A dead primary (the router should leave it, and come back once it is healthy) or a nuisance (it should stay). */
  outage: boolean;
}

export const FAULTS: readonly FaultPlan[] = [
  { name: "blackhole", what: "primary blackholed (iptables DROP in the ISP, carrier up)", holdMs: 20000, outage: true },
  { name: "carrier-down", what: "primary's cable pulled (the ISP's end of the veth down)", holdMs: 10000, outage: true },
  { name: "loss-10", what: "10 % random loss on the primary for 2 min (iptables statistic)", holdMs: 120000, outage: false },
  { name: "gaps-1s", what: "1 s total-loss gaps every 20 s for 3 min (timed DROP rules)", holdMs: 180000, outage: false },
  { name: "icmp-filtered", what: "the primary's ISP drops ICMP, everything else forwards, for 45 s", holdMs: 45000, outage: false },
  { name: "bufferbloat", what: "primary's upstream at 2 Mbit/s with a 1.5 s queue (tc tbf), the client uploading 3 Mbit/s, for 60 s", holdMs: 60000, outage: false },
];

const TAG = ["-m", "comment", "--comment", "testbed-fault"];

function rule(t: Topology, op: "-I" | "-D", spec: string[]): void {
  inNs(t.ns.ispA, "iptables", ["-w", op, "FORWARD", ...spec, ...TAG, "-j", "DROP"], { allowFail: op === "-D" });
}

const DROP_ALL: string[] = [];
const GAP_EVERY_MS = 20000;
const GAP_MS = 1000;

/** Start the fault; the returned function ends it (and any timers it runs). */
export function applyFault(t: Topology, name: FaultName): () => void {
  switch (name) {
    case "blackhole":
      rule(t, "-I", DROP_ALL);
      return () => rule(t, "-D", DROP_ALL);
    case "carrier-down":
      inNs(t.ns.ispA, "ip", ["link", "set", "cust", "down"]);
      return () => inNs(t.ns.ispA, "ip", ["link", "set", "cust", "up"]);
    case "loss-10": {
      const spec = ["-m", "statistic", "--mode", "random", "--probability", "0.1"];
      rule(t, "-I", spec);
      return () => rule(t, "-D", spec);
    }
    case "gaps-1s": {
      // The first gap at once, then one every GAP_EVERY_MS: each a DROP rule held for GAP_MS.
      const timers: NodeJS.Timeout[] = [];
      let cut = false;
      const gap = () => {
        rule(t, "-I", DROP_ALL);
        cut = true;
        timers.push(setTimeout(() => { rule(t, "-D", DROP_ALL); cut = false; }, GAP_MS));
      };
      gap();
      const every = setInterval(gap, GAP_EVERY_MS);
      return () => {
        clearInterval(every);
        for (const x of timers) clearTimeout(x);
        if (cut) rule(t, "-D", DROP_ALL);
      };
    }
    case "icmp-filtered": {
      const spec = ["-p", "icmp"];
      rule(t, "-I", spec);
      return () => rule(t, "-D", spec);
    }
    case "bufferbloat":
      // The queue is on the ISP's upstream: what the router and its users send towards the internet waits in it.
      inNs(t.ns.ispA, "tc", ["qdisc", "add", "dev", "core", "root", "tbf", "rate", "2mbit", "burst", "16kb", "latency", "1500ms"]);
      return () => inNs(t.ns.ispA, "tc", ["qdisc", "del", "dev", "core", "root"], { allowFail: true });
  }
}
