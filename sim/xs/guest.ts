// Runs inside XS: the real firmware (src/router) with ports that forward to the simulator.
// Bundled by build.mjs into dist/firmware-xs.js and evaluated in an xsnap worker.
import type { InboundMessage, LinkInfo, Ports, ProbeResult, TrafficCounters } from "../../src/ports";
import { Router } from "../../src/router";
import type { Command, Op, Query } from "./protocol";
import type { FirmwareView } from "../world/firmware-host";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;
declare const gc: () => void;

const encoder = new TextEncoder(), decoder = new TextDecoder();
let now = 0;
let out: Op[] = [];
let nextId = 1;
let router: Router | null = null;
let boot = 0;
const callbacks = new Map<number, (arg?: unknown) => void>();
const oneShot = new Set<number>();
let carrierFns: Array<(link: string, up: boolean) => void> = [];
let connectedFns: Array<() => void> = [];
let disconnectedFns: Array<(reason: string) => void> = [];
let messageFns: Array<(m: InboundMessage) => void> = [];

function ask(query: Query): unknown {
  const msg = JSON.stringify({ ops: out, query });
  out = [];
  return JSON.parse(decoder.decode(issueCommand(encoder.encode(msg).buffer as ArrayBuffer)));
}

function register(fn: (arg?: unknown) => void, once: boolean): number {
  const id = nextId++;
  callbacks.set(id, fn);
  if (once) oneShot.add(id);
  return id;
}

function makePorts(links: LinkInfo[]): Ports {
  return {
    clock: {
      now: () => now,
      once: (ms, fn) => { const id = register(fn, true); out.push({ op: "once", id, ms }); return id; },
      every: (ms, fn) => { const id = register(fn, false); out.push({ op: "every", id, ms }); return id; },
      cancel: (h) => { callbacks.delete(h as number); oneShot.delete(h as number); out.push({ op: "cancel", id: h as number }); },
      wallMs: () => ask({ q: "wall" }) as number,
    },
    random: { next: () => ask({ q: "random" }) as number, fresh: () => ask({ q: "fresh" }) as number },
    prober: {
      probe: (link, target, timeoutMs, done) => {
        out.push({ op: "probe", id: register(done as (arg?: unknown) => void, true), link, target, timeoutMs });
      },
    },
    uplinks: {
      list: () => links,
      carrier: (link) => ask({ q: "carrier", link }) as boolean,
      onCarrier: (fn) => { carrierFns.push(fn); },
      setDefault: (link) => { out.push({ op: "setDefault", link }); },
      reset: (link) => { out.push({ op: "reset", link }); },
    },
    mqtt: {
      connect: (options) => { out.push({ op: "mqttConnect", options }); },
      disconnect: () => { out.push({ op: "mqttDisconnect" }); },
      publish: (message, acked) => { out.push({ op: "publish", message, ackId: acked ? register(acked, true) : 0 }); },
      subscribe: (filter) => { out.push({ op: "subscribe", filter }); },
      onConnected: (fn) => { connectedFns.push(fn); },
      onDisconnected: (fn) => { disconnectedFns.push(fn); },
      onMessage: (fn) => { messageFns.push(fn); },
    },
    store: {
      get: (key) => (ask({ q: "storeGet", key }) as string | null) ?? undefined,
      set: (key, value) => { out.push({ op: "storeSet", key, value }); },
      remove: (key) => { out.push({ op: "storeRemove", key }); },
    },
    watchdog: {
      arm: (ms) => { out.push({ op: "wdArm", ms }); },
      feed: () => { out.push({ op: "wdFeed" }); },
      reboot: (reason) => { out.push({ op: "reboot", reason }); },
      heapUsed: () => 0, // as the Node host reports: the simulator does not model device heap
    },
    log: { log: (level, message) => { out.push({ op: "log", level, message }); } },
    traffic: {
      read: (link, into) => {
        const c = ask({ q: "traffic", link }) as TrafficCounters | null;
        if (!c) return false;
        into.rxPackets = c.rxPackets; into.rxBytes = c.rxBytes; into.txPackets = c.txPackets;
        into.txBytes = c.txBytes; into.lastRxAt = c.lastRxAt;
        return true;
      },
    },
  };
}

function fire(id: number, arg?: unknown): void {
  const fn = callbacks.get(id);
  if (!fn) return;
  if (oneShot.has(id)) {
    oneShot.delete(id);
    callbacks.delete(id);
  }
  fn(arg);
}

function view(): FirmwareView | null {
  if (!router) return null;
  const r = router;
  return {
    active: r.controller.active, queued: r.telemetry.queued, connected: r.telemetry.connected, safeMode: r.safeMode, configVersion: r.cfg.version, bootId: r.bootId,
    links: r.linkReports().map((l, i) => ({ ...l, deadTargets: r.monitors[i].deadTargets })),
  };
}

function handle(c: Command): unknown {
  now = c.now;
  switch (c.cmd) {
    case "boot":
      // A reboot: the previous instance hears nothing more.
      callbacks.clear();
      oneShot.clear();
      carrierFns = [];
      connectedFns = [];
      disconnectedFns = [];
      messageFns = [];
      boot = c.boot;
      router = new Router(makePorts(c.links), { deviceId: c.deviceId });
      router.onEvent((e) => { out.push({ op: "event", e }); });
      router.start();
      return null;
    case "timer": fire(c.id); return null;
    case "probeDone": fire(c.id, c.result as ProbeResult); return null;
    case "acked": fire(c.id); return null;
    case "carrier": for (const fn of carrierFns) fn(c.link, c.up); return null;
    case "connected": for (const fn of connectedFns) fn(); return null;
    case "disconnected": for (const fn of disconnectedFns) fn(c.reason); return null;
    case "message": for (const fn of messageFns) fn(c.message); return null;
    case "view": return view();
    case "gc": gc(); return boot;
  }
}

(globalThis as unknown as { handleCommand: (m: ArrayBuffer) => ArrayBuffer }).handleCommand = (message) => {
  const result = handle(JSON.parse(decoder.decode(message)) as Command);
  const reply = JSON.stringify({ ops: out, result });
  out = [];
  return encoder.encode(reply).buffer as ArrayBuffer;
};
