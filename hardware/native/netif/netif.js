// JavaScript face of the netif native module: default route, interface state, ICMP bound to an interface, traffic counters.
function setDefault(ifkey) @ "xs_netif_setDefault";
function isUp(ifkey) @ "xs_netif_isUp";
function ping(ifkey, address, timeoutMs, callback) @ "xs_netif_ping";
function counters(ifkey, into) @ "xs_netif_counters";

export default Object.freeze({ setDefault, isUp, ping, counters });
