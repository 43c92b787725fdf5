// What a started broker offers, whichever one runs (Mosquitto or the embedded aedes broker), and
// what it can be asked for. Both implementations and their callers share this file.
import type { ThrottleOptions } from "./login-throttle";
import type { PublishRateOptions } from "./publish-rate";

export interface Broker {
  kind: "mosquitto" | "embedded";
  version: string;
  /** Where the TLS doors listen. */
  host: string;
  url: string;
  tlsUrl: string;
  wsUrl: string;
  wssUrl: string;
  port: number;
  tlsPort: number;
  wsPort: number;
  wssPort: number;
  /** The CA clients must trust (and the only one whose client certificates the broker takes). */
  caPem: string;
  /** Mosquitto's process id (null for the embedded broker, which is this process). */
  pid: number | null;
  /** Browsers from these origins only on the WebSocket doors (null: any). */
  allowOrigins(origins: readonly string[] | null): void;
  /** Die at once, no goodbye to anyone (kill -9). */
  kill(): Promise<void>;
  /** Come back on the same ports with the same persistent state. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface BrokerOptions {
  /** Address of the TLS listeners (default 127.0.0.1). Plain listeners stay on loopback whatever it is. */
  host?: string;
  throttle?: ThrottleOptions;
  /** Dashboard connections per login on the WebSocket doors (default 50). */
  maxSessionsPerLogin?: number;
  /** The CA's revocation list (PEM): the TLS door refuses the certificates it names (Mosquitto's crlfile). */
  crlPem?: string;
  /** Each device's publish rate (embedded broker only: Mosquitto 2.0 has no such option). Default DEVICE_PUBLISH. */
  devicePublish?: PublishRateOptions;
}
