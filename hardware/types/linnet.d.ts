// The desktop build's native module (hardware/native/linnet): the Linux kernel as the router's
// data plane. Errors are negative errno values, never exceptions, so a kernel refusal is a logged
// fact and the control loop goes on.
declare module "linnet" {
  const Linnet: {
    /** Main table's default route via `gateway` out of `dev` (rtnetlink replace). 0 or -errno. */
    setDefault(dev: string, gateway: string): number;
    /** Table `table` (1-250) gets a default via `gateway`; rule: from dev's address lookup table. 0 or -errno. */
    bindUplink(dev: string, gateway: string, table: number): number;
    /** The interface's IPv4 address, if it has one. */
    address(dev: string): string | undefined;
    /** Delete the conntrack entries source-translated to `address` (one uplink's NAT). Count or -errno. */
    dropNat(address: string): number;
    /** Carrier (sysfs). */
    isUp(dev: string): boolean;
    /** One ICMP echo from dev's address, bound to dev; callback gets RTT ms or -1. Throws if no socket. */
    ping(dev: string, address: string, timeoutMs: number, callback: (rttMs: number) => void): void;
    /** Kernel counters of the interface, rxPackets counting IPv4 packets for this host only; lastRxAt on the Time.ticks clock (-1 if none seen yet). */
    counters(dev: string, into: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; lastRxAt: number }): boolean;
  };
  export default Linnet;
}
