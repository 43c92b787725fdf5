// Dashboard sessions are bounded (issue 20): 3,000 persistent `dashboard-*` sessions each queuing
// every event took npm start from 887 MB to 1,938 MB. The WebSocket doors take clean sessions only
// (MQTT 3.1.1 clean session off, or MQTT 5 with a session expiry, is refused) and at most N
// connections per login over both doors; a place freed is taken again. `npm run broker` lets
// browsers in only from the origins it is told.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerFor, connect } from "../../testing/broker";
import { recordBrokerKind } from "../../testing/environment";
import type { MqttClient } from "mqtt";
import { spawn } from "node:child_process";
import { join } from "node:path";
import WebSocket from "ws";
import { REPO_ROOT } from "../paths";

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

test("npm run broker: browsers reach the WebSocket doors only from origins given with --allow-origin (none by default)", async () => {
  const proc = spawn(process.execPath, [join(REPO_ROOT, "dist/broker.js"), "--devices", "1", "--allow-origin", "http://dash.example:8080"],
    { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d) => { out += d; });
  proc.stderr.on("data", (d) => { out += d; });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`npm run broker did not start:\n${out}`)), 30000);
      proc.stdout.on("data", () => { if (/^ready$/m.test(out)) { clearTimeout(t); resolve(); } });
      proc.once("exit", () => { clearTimeout(t); reject(new Error(`npm run broker exited:\n${out}`)); });
    });
    const wsUrl = /and\s+(ws:\/\/\S+)/.exec(out)?.[1];
    assert.ok(wsUrl, out);
    const status = (origin: string) => new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl, "mqtt", { origin });
      ws.on("open", () => { ws.terminate(); resolve(101); });
      ws.on("unexpected-response", (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
      ws.on("error", () => resolve(-1));
    });
    assert.equal(await status("http://evil.example"), 403, "a page from elsewhere is refused");
    assert.equal(await status("http://dash.example:8080"), 101, "the named dashboard's origin is let through");
  } finally {
    proc.kill("SIGTERM");
    await exited;
  }
});
