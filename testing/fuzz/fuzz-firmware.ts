// Fuzz the firmware's inbound path: one router (in Node or in an XS worker) on the simulated world,
// connected to the simulated broker, is sent hostile messages one by one through the broker and its
// MQTT port. For each message: no exception (a crash), exactly one reply, a refusal, within the
// reply bound, quoting no id the sender could make long, and nothing the router runs on changed
// (stored config, active link, config version, safe mode; no switch, pin, apply or reboot).
import { performance } from "node:perf_hooks";
import { SimWorld } from "../../sim/world/world";
import { XsHost } from "../../sim/xs/xs-host";
import { topicsFor } from "../../src/telemetry/topics";
import { validId } from "../../src/config/limits";
import { hostileMessages, FUZZ_TOPICS, type FuzzTopic } from "./hostile-messages";

/** Largest reply the firmware may send: cmd (48) + id (64) + error (200) + retryInMs + JSON. */
export const REPLY_MAX_BYTES = 400;
/** Largest rejection event: epoch, seq, atMs, type, cmd (48), error (200) + JSON. */
export const EVENT_MAX_BYTES = 400;

const DEVICE = "fuzz";
/** Virtual time per message: the message's way in and the reply's way out over a 12 ms path. */
const STEP_MS = 40;
const LINKS = [
  { name: "wan0", kind: "ethernet" as const, priority: 1, rttMs: 12, jitterMs: 2, loss: 0 },
  { name: "lte0", kind: "lte" as const, priority: 2, rttMs: 60, jitterMs: 15, loss: 0 },
];
const CHANGES = new Set(["failover", "failback", "pinned", "config-applied", "config-rolled-back", "initial", "boot"]);

export interface FuzzReport {
  topic: FuzzTopic;
  host: "node" | "xs";
  sent: number;
  /** Messages answered with exactly one refusal within the bounds, state untouched. */
  refused: number;
  accepted: number;
  crashes: number;
  unanswered: number;
  overBound: number;
  stateChanged: number;
  maxReplyBytes: number;
  maxEventBytes: number;
  /** XS only: most heap slots one message cost while it was handled (garbage included). */
  maxHeapDelta: number;
  wallMs: number;
  byKind: Record<string, number>;
  /** The first few failures, for a human. */
  failures: string[];
}

export interface FuzzOptions {
  perTopic: number;
  seed: number;
  xs?: boolean;
  topics?: readonly FuzzTopic[];
}

function bytes(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

export function fuzzFirmware(o: FuzzOptions): FuzzReport[] {
  return (o.topics ?? FUZZ_TOPICS).map((topic) => fuzzTopic(topic, o));
}

function fuzzTopic(topic: FuzzTopic, o: FuzzOptions): FuzzReport {
  let world: SimWorld | null = null;
  const host = o.xs ? new XsHost(250, () => world?.clock.now() ?? 0) : undefined;
  world = new SimWorld({ seed: o.seed, links: LINKS, deviceId: DEVICE, host });
  const w = world;
  const topics = topicsFor(DEVICE);
  const report: FuzzReport = {
    topic, host: o.xs ? "xs" : "node", sent: 0, refused: 0, accepted: 0, crashes: 0, unanswered: 0, overBound: 0, stateChanged: 0,
    maxReplyBytes: 0, maxEventBytes: 0, maxHeapDelta: 0, wallMs: 0, byKind: {}, failures: [],
  };
  const fail = (what: string) => { if (report.failures.length < 5) report.failures.push(what); };
  const stateOf = () => {
    const v = w.view();
    const stored = [...w.store.map].filter(([k]) => !/^q\d$|^qmeta$/.test(k)).sort();
    return JSON.stringify({ stored, active: v?.active, version: v?.configVersion, safe: v?.safeMode, reboots: w.reboots.length });
  };
  const t0 = performance.now();
  try {
    w.store.set("cfg0", JSON.stringify({ links: { wan0: { priority: 1 }, lte0: { priority: 2 } } }));
    w.boot();
    // Past the boot's own writes (stable after 5 min: boot count cleared, config made known-good),
    // so the only thing that could change the store from here on is a message.
    w.run(310000);
    if (!w.view()?.connected) throw new Error("the fuzzed router never connected");
    let changes = 0;
    w.onEvent((e) => { if (CHANGES.has(e.type)) changes++; });
    for (const m of hostileMessages(topic, o.perTopic, o.seed, () => w.clock.now())) {
      report.sent++;
      report.byKind[m.kind] = (report.byKind[m.kind] ?? 0) + 1;
      const before = stateOf();
      const changesBefore = changes;
      w.broker.arrivals.length = 0;
      const heapMark = host?.messages.length ?? 0;
      w.broker.publish(`routers/${DEVICE}/${m.topic}`, m.payload);
      try {
        w.run(w.clock.now() + STEP_MS);
      } catch (e) {
        report.crashes++;
        fail(`${m.kind}: crash ${String(e).slice(0, 200)} on ${JSON.stringify(m.payload.slice(0, 80))}`);
        if (o.xs) break; // the worker is gone
        continue;
      }
      if (host) for (const h of host.messages.slice(heapMark)) report.maxHeapDelta = Math.max(report.maxHeapDelta, h.heapDelta);
      if (host) host.messages.length = 0;
      const replies = w.broker.arrivals.filter((a) => a.topic === topics.reply);
      for (const a of w.broker.arrivals) {
        if (a.topic === topics.event) report.maxEventBytes = Math.max(report.maxEventBytes, bytes(a.payload));
      }
      const events = w.broker.arrivals.filter((a) => a.topic === topics.event);
      if (replies.length !== 1) {
        report.unanswered++;
        fail(`${m.kind}: ${replies.length} replies to ${m.topic} ${JSON.stringify(m.payload.slice(0, 80))}`);
        continue;
      }
      const size = bytes(replies[0].payload);
      report.maxReplyBytes = Math.max(report.maxReplyBytes, size);
      const reply = JSON.parse(replies[0].payload) as { ok: boolean; id?: unknown; error?: string };
      const bounded = size <= REPLY_MAX_BYTES && events.every((e) => bytes(e.payload) <= EVENT_MAX_BYTES) && (reply.id === undefined || validId(reply.id));
      if (!bounded) {
        report.overBound++;
        fail(`${m.kind}: reply of ${size} bytes: ${replies[0].payload.slice(0, 120)}`);
      }
      if (reply.ok) {
        report.accepted++;
        fail(`${m.kind}: accepted ${m.topic} ${JSON.stringify(m.payload.slice(0, 120))}`);
        continue;
      }
      if (stateOf() !== before || changes !== changesBefore) {
        report.stateChanged++;
        fail(`${m.kind}: state changed by a refused ${m.topic} ${JSON.stringify(m.payload.slice(0, 80))}`);
        continue;
      }
      if (bounded) report.refused++;
    }
  } finally {
    report.wallMs = performance.now() - t0;
    w.host.dispose();
  }
  return report;
}
