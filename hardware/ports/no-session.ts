// The MqttSession of a unit with no broker credentials it may use: every connect fails, so the
// router keeps routing and supervising itself, and retries with backoff until it is provisioned.
import Timer from "timer";
import type { MqttSession } from "../../src/ports";

export function unprovisionedSession(): MqttSession {
  const disconnected: Array<(reason: string) => void> = [];
  return {
    connect() {
      Timer.set(() => { for (const fn of disconnected) fn("not provisioned for TLS"); }, 0);
    },
    disconnect() {},
    publish() {},
    subscribe() {},
    onConnected() {},
    onDisconnected: (fn) => { disconnected.push(fn); },
    onMessage() {},
  };
}
