// What a probe of each kind puts on the wire, IPv4: an ICMP echo without payload (28 B each way),
// a DNS A query and answer, a TCP connect (SYN, SYN-ACK, RST) and an HTTP HEAD with its handshake
// and close. The one table of probe costs: the firmware's data budget counts these (so they err on
// the high side) and the simulator's links carry exactly these bytes.
import type { ProbeKind } from "../ports";

/** The part that leaves even when nothing comes back. */
export const PROBE_BYTES_OUT: Record<ProbeKind, number> = { icmp: 28, dns: 57, tcp: 60, http: 240 };

/** The reply's part. */
export const PROBE_BYTES_IN: Record<ProbeKind, number> = { icmp: 28, dns: 73, tcp: 152, http: 480 };

/** Request and reply bytes together. */
export const PROBE_COST: Record<ProbeKind, number> = {
  icmp: PROBE_BYTES_OUT.icmp + PROBE_BYTES_IN.icmp,
  dns: PROBE_BYTES_OUT.dns + PROBE_BYTES_IN.dns,
  tcp: PROBE_BYTES_OUT.tcp + PROBE_BYTES_IN.tcp,
  http: PROBE_BYTES_OUT.http + PROBE_BYTES_IN.http,
};
