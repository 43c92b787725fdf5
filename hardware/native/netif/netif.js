// JavaScript face of the netif native module: default route, interface state, ICMP bound to an interface.
function setDefault(ifkey) @ "xs_netif_setDefault";
function isUp(ifkey) @ "xs_netif_isUp";
function ping(ifkey, address, timeoutMs, callback) @ "xs_netif_ping";

export default Object.freeze({ setDefault, isUp, ping });
