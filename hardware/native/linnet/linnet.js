// JavaScript face of the linnet native module: the Linux kernel's routing, NAT state, ICMP and counters for the desktop build.
function setDefault(dev, gateway) @ "xs_linnet_setDefault";
function bindUplink(dev, gateway, table) @ "xs_linnet_bindUplink";
function address(dev) @ "xs_linnet_address";
function dropNat(address) @ "xs_linnet_dropNat";
function isUp(dev) @ "xs_linnet_isUp";
function ping(dev, address, timeoutMs, callback) @ "xs_linnet_ping";
function counters(dev, into) @ "xs_linnet_counters";

export default Object.freeze({ setDefault, bindUplink, address, dropNat, isUp, ping, counters });
