// JavaScript face of the lan native module: the clients' soft AP with DHCP and NAPT, and the NAPT drop on a switch of uplink.
function start(ssid, passphrase, maxStations) @ "xs_lan_start";
function dropFlows(ifkey) @ "xs_lan_dropFlows";
function status(into) @ "xs_lan_status";

export default Object.freeze({ start, dropFlows, status });
