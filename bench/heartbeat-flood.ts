// The two halves of the ingest benches: a subscriber in its own process (subscriber.ts), so its
// receive rate is not paced by the publisher's event loop, and a publisher that floods heartbeats.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { MqttClient } from "mqtt";
import type { Identity } from "../fleet/broker/credentials";

export interface SubscriberResult { count: number; perSecond: number; rows: number }

/**
 * Start a bench subscriber (`bare` counts, `consumer` runs the dashboard's model) for `seconds`, and
 * resolve once it has subscribed; the function it resolves to waits for its figures.
 */
export async function startSubscriber(mode: "bare" | "consumer", url: string, login: Identity, seconds: number): Promise<() => Promise<SubscriberResult>> {
  // The password goes by environment, not argv (which every user sees in `ps`).
  const child = spawn(process.execPath, [fileURLToPath(new URL("./bench-subscriber.js", import.meta.url)), mode, url, login.username, String(seconds)],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, MQTT_PASSWORD: login.password } });
  const lines: string[] = [];
  child.stdout.on("data", (d) => lines.push(...String(d).split("\n").filter(Boolean)));
  const exited = new Promise((r) => child.once("exit", r));
  const deadline = Date.now() + 15000;
  while (!lines.includes("ready")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("the bench subscriber did not subscribe (login refused?)");
    await new Promise((r) => setTimeout(r, 20));
  }
  return async () => {
    await exited;
    return JSON.parse(lines.find((l) => l.startsWith("{")) ?? "{}") as SubscriberResult;
  };
}

/**
 * Publish `payload(i)` on `topic(i)` for `seconds`, QoS 0: at `rate` per second (paced every 10 ms),
 * or with no rate as fast as the broker takes them (at most 500 unsent). Returns how many were sent.
 */
export async function floodHeartbeats(pub: MqttClient, o: { seconds: number; rate?: number; topic: (i: number) => string; payload: (i: number) => string }): Promise<number> {
  let sent = 0, outstanding = 0;
  const start = Date.now(), end = start + o.seconds * 1000;
  while (Date.now() < end) {
    if (o.rate !== undefined && sent >= ((Date.now() - start) / 1000) * o.rate) { await new Promise((r) => setTimeout(r, 10)); continue; }
    if (outstanding > 500) { await new Promise((r) => setImmediate(r)); continue; }
    outstanding++;
    pub.publish(o.topic(sent), o.payload(sent), { qos: 0 }, () => { outstanding--; });
    sent++;
    if (sent % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  return sent;
}
