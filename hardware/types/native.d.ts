// The two small native modules in hardware/native/ (no Moddable module covers them).
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
