// Uplinks on the Linux kernel (the desktop build as a real router, links of the form
// name:kind:dev:gateway). The kernel does the forwarding and the masquerade; this port tells it
// which uplink users leave by:
// - setDefault replaces the main table's default route (rtnetlink), then deletes the conntrack
//   entries translated to the old uplink's address, and only those: their flows' next packets are
//   new to the kernel and are translated through the new uplink at once. UDP flows (calls, DNS,
//   QUIC) move with no wait; a TCP connection made through the old address cannot move (the server
//   knows it by that address): its next segment leaves from the new one and the server answers
//   with a reset, so it fails fast instead of hanging.
// - each uplink gets a routing table and a rule "from <its address>", so what the router sends
//   from an uplink's address (its probes) leaves by that uplink whichever holds the default.
// - carrier is the interface's (sysfs), polled every CARRIER_POLL_MS: a pulled cable is an event
//   within that, not a probe timeout.
import Linnet from "linnet";
import Timer from "timer";
import type { LinkInfo, Uplinks } from "../../src/ports";
import type { ProbeRoutes } from "../ports/routed-prober";
import type { DesktopLink } from "./links";
import { log } from "../ports/log";

const CARRIER_POLL_MS = 50;
/** Per-uplink routing tables 101, 102, ... (the main table is 254). */
const TABLE_BASE = 101;

interface KernelLink {
  name: string;
  dev: string;
  gateway: string;
  table: number;
  carrier: boolean;
  /** The interface's address when last seen: the NAT entries to drop are translated to it. */
  address: string | undefined;
  bound: boolean;
}

export interface KernelUplinks extends Uplinks, ProbeRoutes {
  dev(link: string): string;
}

export function createKernelUplinks(links: readonly DesktopLink[]): KernelUplinks {
  const kl: KernelLink[] = links.map((l, i) => ({
    name: l.name, dev: l.dev!, gateway: l.gateway!, table: TABLE_BASE + i, carrier: false, address: undefined, bound: false,
  }));
  const infos: LinkInfo[] = links.map((l) => ({ name: l.name, kind: l.kind }));
  const listeners: Array<(link: string, up: boolean) => void> = [];
  let current: KernelLink | null = null;

  const find = (name: string): KernelLink => {
    const l = kl.find((x) => x.name === name);
    if (!l) throw new Error("unknown link " + name);
    return l;
  };

  // Once the interface has its address: the table and the rule that keep its own traffic on it.
  const bind = (l: KernelLink) => {
    l.address = Linnet.address(l.dev) ?? l.address;
    if (l.bound || !l.address) return;
    const err = Linnet.bindUplink(l.dev, l.gateway, l.table);
    if (err === 0) l.bound = true;
    else log.log("error", `${l.name}: source routing for ${l.dev} (${l.address}) refused by the kernel: errno ${-err}`);
  };

  const poll = () => {
    for (const l of kl) {
      const up = Linnet.isUp(l.dev);
      if (up === l.carrier) continue;
      l.carrier = up;
      if (up) bind(l);
      for (const fn of listeners) fn(l.name, up);
    }
  };
  for (const l of kl) {
    l.carrier = Linnet.isUp(l.dev);
    bind(l);
  }
  Timer.repeat(poll, CARRIER_POLL_MS);

  return {
    list: () => infos,
    carrier: (name) => find(name).carrier,
    onCarrier: (fn) => { listeners.push(fn); },
    setDefault(name) {
      const next = find(name);
      const err = Linnet.setDefault(next.dev, next.gateway);
      if (err !== 0) {
        log.log("error", `default route via ${next.name} (${next.dev} ${next.gateway}) refused by the kernel: errno ${-err}`);
        return;
      }
      const old = current;
      current = next;
      if (!old || old === next) {
        log.log("info", `default route: ${next.name} via ${next.gateway} (${next.dev})`);
        return;
      }
      const from = Linnet.address(old.dev) ?? old.address;
      const dropped = from ? Linnet.dropNat(from) : 0;
      if (dropped < 0) log.log("error", `${old.name}: NAT state of ${from} not dropped: errno ${-dropped}`);
      log.log("info", `default route: ${next.name} via ${next.gateway} (${next.dev}); ${old.name}'s NAT entries dropped: ${dropped}`);
    },
    reset(name) {
      log.log("info", `reset ${name}: nothing to power-cycle on the desktop`);
    },
    interfaceOf: (name) => find(name).dev,
    isDefault: (name) => current?.name === name,
    dev: (name) => find(name).dev,
  };
}
