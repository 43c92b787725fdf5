// The only ways the firmware touches the world. hardware/ implements these on Moddable
// modules; sim/ implements them on a virtual clock and simulated links. Keep them narrow:
// every method here must be cheap to implement on an ESP32 and easy to fake deterministically.

export type TimerHandle = unknown;

export interface Clock {
  /** Monotonic milliseconds since boot. */
  now(): number;
  /** Call `fn` once after `ms`. */
  once(ms: number, fn: () => void): TimerHandle;
  /** Call `fn` every `ms` until cancelled. */
  every(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
  /** Calendar time in ms since 1970 once the device knows it (SNTP), else 0. Billing periods only. */
  wallMs(): number;
}

export interface Random {
  /** Uniform in [0, 1). Seeded in the simulator so runs repeat. */
  next(): number;
  /**
   * Uniform in [0, 1) from a source that a restart does not repeat: the hardware RNG on the
   * device, the OS in a live simulation. It names each boot (telemetry's bootId), because a boot
   * counter in the Store starts over when the Store is erased, reflashed or the board replaced.
   * Absent: `next()`.
   */
  fresh?(): number;
}

export type ProbeKind = "icmp" | "tcp" | "dns" | "http";

export interface ProbeTarget {
  kind: ProbeKind;
  /** Address or host name. */
  host: string;
  /** TCP/HTTP port; DNS uses 53. */
  port?: number;
  /** DNS: the name to resolve; HTTP: the path to fetch. */
  name?: string;
}

export type ProbeFailure = "timeout" | "refused" | "unreachable" | "dns" | "http" | "no-socket";

export interface ProbeResult {
  ok: boolean;
  /** Round-trip time when ok. */
  rttMs: number;
  reason?: ProbeFailure;
  /**
   * The kind of probe that actually went out, when the platform could not send the kind asked for
   * (on the device a standby's TCP, DNS or HTTP probe goes out as an ICMP echo to the same host,
   * since sockets follow the default route). Its answer proves the path, never the service.
   */
  sentAs?: ProbeKind;
}

export interface Prober {
  /**
   * Send one probe over `link`. `done` is called exactly once, at the latest after `timeoutMs`,
   * unless the platform is broken (the watchdog looks for probes that never come back).
   */
  probe(link: string, target: ProbeTarget, timeoutMs: number, done: (result: ProbeResult) => void): void;
}

export type LinkKind = "ethernet" | "lte" | "wifi";

export interface LinkInfo {
  name: string;
  kind: LinkKind;
}

export interface Uplinks {
  list(): readonly LinkInfo[];
  carrier(link: string): boolean;
  /** Carrier changes arrive as events: a pulled cable must not wait for a probe. */
  onCarrier(fn: (link: string, up: boolean) => void): void;
  /** Make `link` the default route. */
  setDefault(link: string): void;
  /** Power-cycle or re-attach the link (modem reset, DHCP renew). */
  reset(link: string): void;
}

/**
 * What an uplink's interface has carried, all traffic included (users', probes', MQTT's): the
 * counters an lwIP netif keeps. Filled in place so a poll allocates nothing.
 */
export interface TrafficCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Clock.now() of the last packet received, or -1 if none yet. */
  lastRxAt: number;
}

export interface Traffic {
  /** Read `link`'s counters into `into`; false if the platform has none for it. */
  read(link: string, into: TrafficCounters): boolean;
}

export interface MqttMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttConnectOptions {
  clientId: string;
  keepAliveS: number;
  will: MqttMessage;
  /** Uplink the session must travel over. */
  link: string;
  /**
   * MQTT clean session. false: the broker keeps the subscriptions and queues QoS 1 messages while
   * the session is being rebuilt (after a failover), and delivers them on the next connect.
   */
  cleanSession: boolean;
}

/** One message from the broker, as the port received it. */
export interface InboundMessage {
  topic: string;
  /**
   * The payload as text; null when it was larger than MAX_INBOUND_BYTES (src/config/limits.ts),
   * which the port drops unread instead of buffering it, or was not valid UTF-8.
   */
  payload: string | null;
  /** The payload's size in bytes as it arrived. */
  bytes: number;
  /** The broker sent it from its retained store (the RETAIN flag on delivery). */
  retained: boolean;
}

export interface MqttSession {
  connect(options: MqttConnectOptions): void;
  disconnect(): void;
  /** `acked` is called when a QoS 1 publish is acknowledged by the broker (QoS 0: when written). */
  publish(message: MqttMessage, acked?: () => void): void;
  subscribe(topicFilter: string): void;
  onConnected(fn: () => void): void;
  onDisconnected(fn: (reason: string) => void): void;
  onMessage(fn: (message: InboundMessage) => void): void;
}

export interface Store {
  get(key: string): string | undefined;
  /** Atomic replace of one small value (the NVS limits, and every key the firmware uses: config/store-keys.ts). */
  set(key: string, value: string): void;
  remove(key: string): void;
}

export interface HardwareWatchdog {
  arm(timeoutMs: number): void;
  feed(): void;
  reboot(reason: string): void;
  /** XS heap slots in use: memory is part of the health the supervisor reports. */
  heapUsed(): number;
  /** XS chunk heap bytes in use, where the platform can tell (Moddable instrumentation). */
  chunkUsed?(): number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Log {
  log(level: LogLevel, message: string): void;
}

export interface Ports {
  clock: Clock;
  random: Random;
  prober: Prober;
  uplinks: Uplinks;
  mqtt: MqttSession;
  store: Store;
  watchdog: HardwareWatchdog;
  log: Log;
  traffic: Traffic;
}
