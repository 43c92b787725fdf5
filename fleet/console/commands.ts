// Commands from the console to a router, over the broker with the fleet's login, each answered by
// the router's own reply (routers/<id>/reply, matched by request id) or by "no reply" after a
// while. Never retained (a router ignores retained commands), QoS 1.
import { randomBytes } from "node:crypto";
import type { MqttClient } from "mqtt";

export interface RouterReply { cmd: string; ok: boolean; id?: string; error?: string; retryInMs?: number }

export class CommandSender {
  #pending = new Map<string, { resolve: (r: RouterReply | null) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly client: MqttClient, private readonly replyMs = 15000) {
    client.subscribe("routers/+/reply", { qos: 1 });
    client.on("message", (topic, payload) => {
      if (!/^routers\/[^/]+\/reply$/.test(topic) || payload.length > 4096) return;
      let r: RouterReply;
      try { r = JSON.parse(payload.toString("utf8")) as RouterReply; } catch { return; }
      const p = typeof r?.id === "string" ? this.#pending.get(topic + " " + r.id) : undefined;
      if (!p) return;
      this.#pending.delete(topic + " " + r.id);
      clearTimeout(p.timer);
      p.resolve(r);
    });
  }

  /** Publish `payload` (an id is added) on routers/<router>/<subtopic>; the router's reply, or null when none came. */
  async send(router: string, subtopic: string, payload: Record<string, unknown>): Promise<{ request: string; reply: RouterReply | null }> {
    const id = "console-" + randomBytes(6).toString("hex");
    const request = JSON.stringify({ ...payload, id });
    const replyTopic = `routers/${router}/reply`;
    const answer = new Promise<RouterReply | null>((resolve) => {
      const timer = setTimeout(() => { this.#pending.delete(replyTopic + " " + id); resolve(null); }, this.replyMs);
      this.#pending.set(replyTopic + " " + id, { resolve, timer });
    });
    await this.client.publishAsync(`routers/${router}/${subtopic}`, request, { qos: 1, retain: false });
    return { request, reply: await answer };
  }

  close(): void {
    for (const p of this.#pending.values()) { clearTimeout(p.timer); p.resolve(null); }
    this.#pending.clear();
  }
}

export interface Change { path: string; from: unknown; to: unknown }

/** What a config push changes against what the router was last given: one entry per JSON path whose value differs. */
export function configDiff(before: unknown, after: unknown, path = ""): Change[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  // A section only one side has is compared field by field against nothing.
  if (isObj(after) && before === undefined) before = {};
  if (isObj(before) && after === undefined) after = {};
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => configDiff(before[k], after[k], `${path}/${k}`));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: path || "/", from: before ?? null, to: after ?? null }];
}
