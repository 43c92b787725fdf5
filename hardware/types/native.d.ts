// The small native modules in hardware/native/ (no Moddable module covers them).
declare module "taskwdt" {
  /** esp_task_wdt: watch the XS task; the chip resets if feed() stops for timeoutMs. */
  const TaskWatchdog: {
    arm(timeoutMs: number): void;
    feed(): void;
  };
  export default TaskWatchdog;
}

declare module "netif" {
  /** esp_netif keys: "ETH_DEF", "WIFI_STA_DEF", "PPP_DEF". */
  const Netif: {
    /** Make the interface the default route (esp_netif_set_default_netif). */
    setDefault(ifkey: string): boolean;
    /** Link up at the driver (carrier / association / PPP up). */
    isUp(ifkey: string): boolean;
    /** One ICMP echo bound to the interface (esp_ping with .interface); callback gets RTT ms or -1. */
    ping(ifkey: string, address: string, timeoutMs: number, callback: (rttMs: number) => void): void;
    /**
     * Packets and bytes the interface received and sent, and when it last received (ms on the
     * Time.ticks clock, -1 if never), counted by hooks on its lwIP netif's input and output
     * (installed on the first call). False if the interface does not exist.
     */
    counters(ifkey: string, into: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; lastRxAt: number }): boolean;
  };
  export default Netif;
}

declare module "lan" {
  /** The clients' soft AP, its DHCP server and lwIP NAPT (hardware/native/lan). */
  const Lan: {
    /**
     * Add the soft AP ("WIFI_AP_DEF") beside the station: WPA2/WPA3 personal with this SSID
     * (1-32 bytes) and passphrase (8-63 characters), the DHCP server offering the router as
     * gateway and DNS, and NAPT from the AP to the default netif once the AP is up. The Wi-Fi
     * driver must be initialised (the wifi module). Throws when it cannot.
     */
    start(ssid: string, passphrase: string, maxStations: number): void;
    /**
     * After the default route moved away from `ifkey`: free the NAPT entries of TCP flows that
     * followed the default route (lwIP resets both ends). The number freed, or -1 when this
     * esp-lwip cannot free entries (stock esp-lwip, no boards/esp32-router/lwip patch) or NAPT is off.
     */
    dropFlows(ifkey: string): number;
    /** Whether NAPT is on at the AP, and whether dropFlows can free entries. */
    status<T extends { napt: boolean; dropAvailable: boolean }>(into: T): T;
  };
  export default Lan;
}

declare module "dnsrelay" {
  /** The LAN clients' DNS server at the router, relaying to lwIP's first IPv4 DNS server (the default netif's). */
  const DnsRelay: {
    /** Serve UDP port 53 on that interface only ("WIFI_AP_DEF"). Throws when it cannot. */
    start(ifkey: string): void;
    /** Queries relayed, answers returned, and packets dropped since start. */
    counters<T extends { queries: number; answers: number; dropped: number }>(into: T): T;
  };
  export default DnsRelay;
}
