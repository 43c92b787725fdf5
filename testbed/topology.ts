// The testbed's network: Linux namespaces joined by veth pairs, as a small site and its internet.
//
//   lan (client 10.10.0.2) --- router (lan0 10.10.0.1; wan0 100.64.1.2; lte0 100.64.2.2)
//   router wan0 --- isp-a (cust 100.64.1.1; core 172.16.1.1) --- inet (ispa 172.16.1.2)
//   router lte0 --- isp-b (cust 100.64.2.1; core 172.16.2.1) --- inet (ispb 172.16.2.2)
//   inet: the server, broker and DNS at 203.0.113.10, and the firmware's default probe targets
//   (1.1.1.1, 8.8.8.8, 9.9.9.9, 1.0.0.1, 8.8.4.4) on its loopback, reached through either ISP.
//
// The ISPs forward and drop what their customer sends from any other source (BCP 38), as real
// ones do: a flow still translated to the old uplink's address cannot sneak out by the new one.
// The router forwards and masquerades each uplink with its own address; the default route, the
// per-uplink source routing and the NAT state of a switch are the system under test's.
// Names carry a prefix so that two testbeds run side by side (one per system) and a killed run's
// leftovers are found and removed by the next.
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { inNs, sh } from "./ns";

export const PREFIX = "tb";

export const ADDR = {
  client: "10.10.0.2",
  routerLan: "10.10.0.1",
  wan0: "100.64.1.2",
  wan0Gateway: "100.64.1.1",
  lte0: "100.64.2.2",
  lte0Gateway: "100.64.2.1",
  server: "203.0.113.10",
  targets: ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1", "8.8.4.4"],
} as const;

export interface Topology {
  id: string;
  ns: { lan: string; router: string; ispA: string; ispB: string; inet: string };
}

const ROLES = ["lan", "router", "isp-a", "isp-b", "inet"] as const;

function namesFor(id: string): Topology["ns"] {
  const n = (r: string) => `${PREFIX}${id}-${r}`;
  return { lan: n("lan"), router: n("router"), ispA: n("isp-a"), ispB: n("isp-b"), inet: n("inet") };
}

function existing(): string[] {
  try {
    return readdirSync("/run/netns");
  } catch {
    return [];
  }
}

/** Kill whatever still runs in a namespace (it keeps the namespace alive), then delete it. */
function removeNs(ns: string): void {
  const pids = sh("ip", ["netns", "pids", ns], { allowFail: true }).split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ }
  }
  sh("ip", ["netns", "del", ns], { allowFail: true });
}

/** One testbed per machine: its namespaces' names are fixed, and a second run would tear the first's down. */
const LOCK = "/run/uplink-router-testbed.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of another live testbed run, or null once this run holds the machine. */
export function takeMachine(): number | null {
  let holder = NaN;
  try { holder = Number(readFileSync(LOCK, "utf8").trim()); } catch { /* free */ }
  if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) return holder;
  writeFileSync(LOCK, String(process.pid));
  return null;
}

export function releaseMachine(): void {
  try {
    if (Number(readFileSync(LOCK, "utf8").trim()) === process.pid) rmSync(LOCK);
  } catch { /* not ours */ }
}

/** Every namespace of a testbed (this prefix), from this run or a killed one. */
export function removeStale(): string[] {
  const stale = existing().filter((n) => new RegExp(`^${PREFIX}[0-9]+-(${ROLES.join("|")})$`).test(n));
  for (const ns of stale) removeNs(ns);
  return stale;
}

export function destroy(t: Topology): void {
  for (const ns of Object.values(t.ns)) removeNs(ns);
}

function veth(a: string, aName: string, b: string, bName: string): void {
  sh("ip", ["link", "add", aName, "netns", a, "type", "veth", "peer", "name", bName, "netns", b]);
}

function addr(ns: string, dev: string, cidr: string): void {
  inNs(ns, "ip", ["addr", "add", cidr, "dev", dev]);
  inNs(ns, "ip", ["link", "set", dev, "up"]);
}

function sysctl(ns: string, ...settings: string[]): void {
  for (const s of settings) inNs(ns, "sysctl", ["-qw", s]);
}

export function create(id: string): Topology {
  const t: Topology = { id, ns: namesFor(id) };
  const { lan, router, ispA, ispB, inet } = t.ns;
  for (const ns of Object.values(t.ns)) {
    sh("ip", ["netns", "add", ns]);
    inNs(ns, "ip", ["link", "set", "lo", "up"]);
  }
  try {
    veth(lan, "eth0", router, "lan0");
    veth(router, "wan0", ispA, "cust");
    veth(router, "lte0", ispB, "cust");
    veth(ispA, "core", inet, "ispa");
    veth(ispB, "core", inet, "ispb");

    addr(lan, "eth0", `${ADDR.client}/24`);
    inNs(lan, "ip", ["route", "add", "default", "via", ADDR.routerLan]);

    addr(router, "lan0", `${ADDR.routerLan}/24`);
    addr(router, "wan0", `${ADDR.wan0}/24`);
    addr(router, "lte0", `${ADDR.lte0}/24`);
    sysctl(router, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");
    // One masquerade per uplink: a flow leaves with the address of the uplink it leaves by.
    for (const dev of ["wan0", "lte0"]) inNs(router, "iptables", ["-w", "-t", "nat", "-A", "POSTROUTING", "-o", dev, "-j", "MASQUERADE"]);

    const isp = (ns: string, cust: string, gw: string, up: string, inetSide: string) => {
      addr(ns, "cust", `${gw}/24`);
      addr(ns, "core", `${up}/30`);
      inNs(ns, "ip", ["route", "add", "default", "via", inetSide]);
      sysctl(ns, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0");
      inNs(ns, "iptables", ["-w", "-A", "FORWARD", "-i", "cust", "!", "-s", cust, "-j", "DROP"]);
    };
    isp(ispA, "100.64.1.0/24", ADDR.wan0Gateway, "172.16.1.1", "172.16.1.2");
    isp(ispB, "100.64.2.0/24", ADDR.lte0Gateway, "172.16.2.1", "172.16.2.2");

    addr(inet, "ispa", "172.16.1.2/30");
    addr(inet, "ispb", "172.16.2.2/30");
    for (const a of [ADDR.server, ...ADDR.targets]) inNs(inet, "ip", ["addr", "add", `${a}/32`, "dev", "lo"]);
    inNs(inet, "ip", ["route", "add", "100.64.1.0/24", "via", "172.16.1.1"]);
    inNs(inet, "ip", ["route", "add", "100.64.2.0/24", "via", "172.16.2.1"]);
  } catch (e) {
    destroy(t);
    throw e;
  }
  return t;
}

/** The router's default route now: "wan0", "lte0" or null. */
export function defaultDev(t: Topology): string | null {
  const out = inNs(t.ns.router, "ip", ["-4", "route", "show", "default"], { allowFail: true });
  return /dev (\S+)/.exec(out)?.[1] ?? null;
}

/** Conntrack entries of LAN flows still translated to `address` (an uplink's). */
export function natEntriesTo(t: Topology, address: string): number {
  const out = inNs(t.ns.router, "conntrack", ["-L", "--reply-dst", address], { allowFail: true });
  return out.split("\n").filter((l) => l.includes(` src=${ADDR.client.split(".").slice(0, 3).join(".")}.`)).length;
}
