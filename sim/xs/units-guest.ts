// Runs inside XS for the hostile-input tests: the firmware's pure pieces (the JSON guard, the
// event queue on a store in the worker, the UTF-8 counter), reachable by name, so a test can call
// them on the engine the device runs. Bundled by build.mjs into dist/units-xs.js.
import { checkJsonShape } from "../../src/config/json-guard";
import { EventQueue, RECORDS } from "../../src/telemetry/event-queue";
import { utf8Length } from "../../src/config/utf8";
import type { Clock } from "../../src/ports";
import { SimStore } from "../world/sim-store";

const encoder = new TextEncoder(), decoder = new TextDecoder();

/** A store with the NVS limits (bytes counted as NVS does), in the worker: the simulator's own. */
const nvsStore = () => new SimStore();

const idle: Clock = { now: () => 0, wallMs: () => 0, once: () => ({}), every: () => ({}), cancel: () => {} };

declare const gc: () => void;

const calls: Record<string, (...args: never[]) => unknown> = {
  gc: () => { gc(); return null; },
  /** A function given as source, applied to one argument (probing engine costs). */
  run: (src: string, arg: unknown) => ((0, eval)(src) as (a: unknown) => unknown)(arg),
  utf8: (text: string) => utf8Length(text),
  stringify: (text: string) => JSON.stringify(text).length,
  shape: (text: string) => checkJsonShape(text),
  /** JSON.parse behind the guard, as the firmware does it. */
  guardedParse: (text: string) => {
    const shape = checkJsonShape(text);
    if (shape !== null) return { refused: shape };
    try { JSON.parse(text); return { parsed: true }; } catch { return { parsed: false }; }
  },
  /** Queue events while the broker is away (nothing acknowledged), then write them to the store. */
  queueOffline: (payloads: string[]) => {
    const store = nvsStore();
    const q = new EventQueue(store, idle, 64, 5000);
    for (const p of payloads) q.push(p);
    q.flush();
    const sizes: number[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const v = store.get("q" + i);
      if (v !== undefined) sizes.push(utf8Length(v));
    }
    return { queued: q.length, dropped: q.dropped, recordBytes: sizes };
  },
};

(globalThis as unknown as { handleCommand: (m: ArrayBuffer) => ArrayBuffer }).handleCommand = (message) => {
  const { fn, args } = JSON.parse(decoder.decode(message)) as { fn: string; args: never[] };
  const result = calls[fn](...args);
  return encoder.encode(JSON.stringify({ result })).buffer as ArrayBuffer;
};
