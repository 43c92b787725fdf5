// What a probe of each kind puts on the wire, IPv4, both directions: an ICMP echo without payload
// (28 B each way), a DNS A query and answer, a TCP connect (SYN, SYN-ACK, RST) and an HTTP HEAD
// with its handshake and close. The budget counts these, so they err on the high side.
import type { ProbeKind } from "../ports";

/** Request and reply bytes together. */
export const PROBE_COST: Record<ProbeKind, number> = { icmp: 56, dns: 130, tcp: 212, http: 720 };

/** The part that leaves even when nothing comes back. */
export const PROBE_BYTES_OUT: Record<ProbeKind, number> = { icmp: 28, dns: 57, tcp: 60, http: 240 };
