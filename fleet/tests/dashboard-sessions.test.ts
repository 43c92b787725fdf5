// Dashboard sessions are bounded (issue 20): 3,000 persistent `dashboard-*` sessions each queuing
// every event took npm start from 887 MB to 1,938 MB. The WebSocket doors take clean sessions only
// (MQTT 3.1.1 clean session off, or MQTT 5 with a session expiry, is refused) and at most N
// connections per login over both doors; a place freed is taken again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerFor, connect } from "../../test-sim/tests/helpers-broker";
import { recordBrokerKind } from "../../test-sim/tests/helpers-env";
import type { MqttClient } from "mqtt";

async function attempt(url: string, who: { username: string; password: string }, o: Record<string, unknown>): Promise<MqttClient | string> {
  try {
    return await connect(url, who, { reconnectPeriod: 0, connectTimeout: 3000, ...o });
  } catch (e) {
    return (e as Error).message;
  }
}

test("WebSocket doors: clean sessions only, and at most N dashboard connections per login over both doors", async () => {
  const { broker, creds } = await brokerFor(["r1"], { maxSessionsPerLogin: 3 });
  recordBrokerKind(broker);
  const open: MqttClient[] = [];
  try {
    const dash = creds.dashboard;
    const persistent = await attempt(broker.wsUrl, dash, { clientId: "dashboard-keep", clean: false });
    assert.equal(typeof persistent, "string", "clean session off refused");
    if (typeof persistent !== "string") open.push(persistent);
    const expiring = await attempt(broker.wsUrl, dash, { clientId: "dashboard-v5", protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 86400 } });
    assert.equal(typeof expiring, "string", "MQTT 5 with a session expiry refused");
    if (typeof expiring !== "string") open.push(expiring);

    for (const [i, url, tls] of [[1, broker.wsUrl, false], [2, broker.wssUrl, true], [3, broker.wsUrl, false]] as const) {
      const c = await attempt(url, tls ? { ...dash, tls: { ca: broker.caPem } } as typeof dash : dash, { clientId: `dashboard-${i}` });
      assert.notEqual(typeof c, "string", `dashboard ${i} connects: ${String(c)}`);
      open.push(c as MqttClient);
    }
    const fourth = await attempt(broker.wssUrl, { ...dash, tls: { ca: broker.caPem } } as typeof dash, { clientId: "dashboard-4" });
    assert.equal(typeof fourth, "string", "a fourth connection of the login is refused on either door");
    if (typeof fourth !== "string") open.push(fourth);
    await open.shift()!.endAsync();
    await new Promise((r) => setTimeout(r, 200));
    const again = await attempt(broker.wsUrl, dash, { clientId: "dashboard-5" });
    assert.notEqual(typeof again, "string", `a place freed is taken again: ${String(again)}`);
    open.push(again as MqttClient);
  } finally {
    for (const c of open) c.end(true);
    await broker.stop();
  }
});
