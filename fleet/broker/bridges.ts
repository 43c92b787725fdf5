// The doors every broker here shares: the WebSocket bridges (ws:// on loopback, wss:// on the
// broker's address) in front of its dashboards' socket, and the names its certificate carries.
import { connect as netConnect } from "node:net";
import { hostname } from "node:os";
import type { FleetCredentials } from "./credentials";
import { brokerLimits } from "./limits";
import { DEFAULT_SESSIONS_PER_LOGIN, SessionCap, WsBridge } from "./ws-bridge";
import { LoginThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from "./login-throttle";

/** The names a client may use for the broker: loopback, this machine, and the bind address. */
export function serverNames(host: string): string[] {
  return [...new Set(["127.0.0.1", "::1", "localhost", hostname(), ...(host === "0.0.0.0" || host === "::" ? [] : [host])])];
}

interface BridgeSetup {
  socketPath: string; creds: FleetCredentials; cert: { cert: string; key: string }; throttle?: ThrottleOptions;
  /** Dashboard connections per login over both doors (default DEFAULT_SESSIONS_PER_LOGIN). */
  maxSessionsPerLogin?: number;
}

/** The two WebSocket doors, both passing connections to `socketPath` (dashboards only). */
async function startBridges(o: BridgeSetup & { host: string }): Promise<{ ws: WsBridge; wss: WsBridge }> {
  const throttle = new LoginThrottle(o.throttle ?? DEFAULT_THROTTLE);
  const common = {
    port: 0, throttle, maxPacketSize: brokerLimits().maxPacketSize, sessions: new SessionCap(o.maxSessionsPerLogin ?? DEFAULT_SESSIONS_PER_LOGIN),
    upstream: () => netConnect(o.socketPath),
    allowLogin: (u: string) => u === o.creds.dashboard.username,
  };
  const ws = new WsBridge({ ...common, host: "127.0.0.1" });
  const wss = new WsBridge({ ...common, host: o.host, tls: o.cert });
  await ws.listen();
  await wss.listen();
  return { ws, wss };
}

/**
 * What both brokers (Mosquitto and the embedded one) share: the addresses of their doors, and the
 * WebSocket bridges in front of their dashboards' socket.
 */
export abstract class BrokerDoors {
  /** Where the TLS doors listen. */
  host: string;
  url = "";
  tlsUrl = "";
  wsUrl = "";
  wssUrl = "";
  port = 0;
  tlsPort = 0;
  wsPort = 0;
  wssPort = 0;
  caPem = "";
  protected bridges: { ws: WsBridge; wss: WsBridge } | null = null;

  constructor(host = "127.0.0.1") {
    this.host = host;
  }

  /** Open the WebSocket doors in front of `socketPath`, then announce every door (MQTT on `port` and `tlsPort`). */
  protected async openBridges(o: BridgeSetup): Promise<void> {
    const bridges = await startBridges({ host: this.host, ...o });
    this.bridges = bridges;
    const h = this.host.includes(":") ? `[${this.host}]` : this.host;
    this.url = `mqtt://127.0.0.1:${this.port}`;
    this.tlsUrl = `mqtts://${h}:${this.tlsPort}`;
    this.wsUrl = bridges.ws.url;
    this.wssUrl = bridges.wss.url;
    this.wsPort = Number(new URL(this.wsUrl).port);
    this.wssPort = Number(new URL(this.wssUrl).port);
  }

  protected async closeBridges(): Promise<void> {
    await this.bridges?.ws.close();
    await this.bridges?.wss.close();
    this.bridges = null;
  }

  /** Browsers from these origins only on the WebSocket doors (null: any). */
  allowOrigins(origins: readonly string[] | null): void {
    this.bridges?.ws.allowOrigins(origins);
    this.bridges?.wss.allowOrigins(origins);
  }
}
