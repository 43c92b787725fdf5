// The doors every broker here shares: the WebSocket bridges (ws:// on loopback, wss:// on the
// broker's address) in front of its dashboards' socket, and the names its certificate carries.
import { connect as netConnect } from "node:net";
import { hostname } from "node:os";
import type { FleetCredentials } from "./credentials";
import { brokerLimits } from "./limits";
import { WsBridge } from "./ws-bridge";
import { LoginThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from "./login-throttle";

/** The names a client may use for the broker: loopback, this machine, and the bind address. */
export function serverNames(host: string): string[] {
  return [...new Set(["127.0.0.1", "::1", "localhost", hostname(), ...(host === "0.0.0.0" || host === "::" ? [] : [host])])];
}

/** The two WebSocket doors, both passing connections to `socketPath` (dashboards only). */
export async function startBridges(o: { host: string; socketPath: string; creds: FleetCredentials; cert: { cert: string; key: string }; throttle?: ThrottleOptions }): Promise<{ ws: WsBridge; wss: WsBridge }> {
  const throttle = new LoginThrottle(o.throttle ?? DEFAULT_THROTTLE);
  const common = {
    port: 0, throttle, maxPacketSize: brokerLimits().maxPacketSize,
    upstream: () => netConnect(o.socketPath),
    allowLogin: (u: string) => u === o.creds.dashboard.username,
  };
  const ws = new WsBridge({ ...common, host: "127.0.0.1" });
  const wss = new WsBridge({ ...common, host: o.host, tls: o.cert });
  await ws.listen();
  await wss.listen();
  return { ws, wss };
}

/** The addresses a broker announces once its doors are open (both brokers, the same way). */
export function doorAddresses(host: string, port: number, tlsPort: number, bridges: { ws: WsBridge; wss: WsBridge }):
  { url: string; tlsUrl: string; wsUrl: string; wssUrl: string; wsPort: number; wssPort: number } {
  const h = host.includes(":") ? `[${host}]` : host;
  const wsUrl = bridges.ws.url, wssUrl = bridges.wss.url;
  return { url: `mqtt://127.0.0.1:${port}`, tlsUrl: `mqtts://${h}:${tlsPort}`, wsUrl, wssUrl,
    wsPort: Number(new URL(wsUrl).port), wssPort: Number(new URL(wssUrl).port) };
}

/** Which pages' origins may open the WebSocket doors (null: any). */
export function allowOriginsOn(bridges: { ws: WsBridge; wss: WsBridge } | null, origins: readonly string[] | null): void {
  bridges?.ws.allowOrigins(origins);
  bridges?.wss.allowOrigins(origins);
}
