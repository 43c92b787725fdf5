// JavaScript face of the dnsrelay native module: the LAN clients' DNS server, relaying to the active uplink's resolver.
function start(ifkey) @ "xs_dnsrelay_start";
function counters(into) @ "xs_dnsrelay_counters";

export default Object.freeze({ start, counters });
