// The simulator side of the XS bridge: evaluates the firmware bundle in an XS worker, carries out
// the ops the firmware queues against the same simulated ports the Node host uses, and turns the
// world's callbacks into commands. Records the XS meter per control tick.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Ports, ProbeResult } from "../../src/ports";
import type { RouterEvent } from "../../src/telemetry/events";
import type { FirmwareHost, FirmwareInstance, FirmwareView } from "../world/firmware-host";
import type { Command, Op, QueryMessage } from "./protocol";
import { XsWorker, type Meter } from "./xs-worker";

/** The firmware bundle sits in dist/ beside the simulator's own bundles (tests are one level down). */
export const BUNDLE = fileURLToPath(new URL(import.meta.url.includes("/dist/tests/") ? "../firmware-xs.js" : "./firmware-xs.js", import.meta.url));

type CommandBody = Command extends infer C ? C extends { now: number } ? Omit<C, "now"> : never : never;

export interface TickMeter {
  ticks: number;
  computeSum: number;
  computeMax: number;
}

class XsBoot implements FirmwareInstance {
  #handles = new Map<number, unknown>();
  #every = new Map<number, number>();

  constructor(private readonly host: XsHost, readonly ports: Ports, private readonly onEvent: (e: RouterEvent) => void) {
    ports.uplinks.onCarrier((link, up) => this.call({ cmd: "carrier", link, up }));
    ports.mqtt.onConnected(() => this.call({ cmd: "connected" }));
    ports.mqtt.onDisconnected((reason) => this.call({ cmd: "disconnected", reason }));
    ports.mqtt.onMessage((message) => this.call({ cmd: "message", message }));
  }

  call(c: CommandBody): unknown {
    return this.host.command(this, c);
  }

  isTick(c: CommandBody): boolean {
    return c.cmd === "timer" && this.#every.get(c.id) === this.host.tickMs;
  }

  view(): FirmwareView | null {
    return this.call({ cmd: "view" }) as FirmwareView | null;
  }

  run(ops: Op[]): void {
    const p = this.ports;
    for (const o of ops) {
      switch (o.op) {
        case "once": this.#handles.set(o.id, p.clock.once(o.ms, () => { this.#handles.delete(o.id); this.call({ cmd: "timer", id: o.id }); })); break;
        case "every": this.#every.set(o.id, o.ms); this.#handles.set(o.id, p.clock.every(o.ms, () => this.call({ cmd: "timer", id: o.id }))); break;
        case "cancel": p.clock.cancel(this.#handles.get(o.id)); this.#handles.delete(o.id); this.#every.delete(o.id); break;
        case "probe": p.prober.probe(o.link, o.target, o.timeoutMs, (result: ProbeResult) => this.call({ cmd: "probeDone", id: o.id, result })); break;
        case "setDefault": p.uplinks.setDefault(o.link); break;
        case "reset": p.uplinks.reset(o.link); break;
        case "mqttConnect": p.mqtt.connect(o.options); break;
        case "mqttDisconnect": p.mqtt.disconnect(); break;
        case "publish": p.mqtt.publish(o.message, o.ackId ? () => this.call({ cmd: "acked", id: o.ackId }) : undefined); break;
        case "subscribe": p.mqtt.subscribe(o.filter); break;
        case "storeSet": p.store.set(o.key, o.value); break;
        case "storeRemove": p.store.remove(o.key); break;
        case "wdArm": p.watchdog.arm(o.ms); break;
        case "wdFeed": p.watchdog.feed(); break;
        case "reboot": p.watchdog.reboot(o.reason); break;
        case "log": p.log.log(o.level, o.message); break;
        case "event": this.onEvent(o.e); break;
      }
    }
  }

  answer(m: QueryMessage): unknown {
    this.run(m.ops);
    const q = m.query;
    if (q.q === "carrier") return this.ports.uplinks.carrier(q.link);
    if (q.q === "storeGet") return this.ports.store.get(q.key) ?? null;
    if (q.q === "wall") return this.ports.clock.wallMs();
    if (q.q === "traffic") {
      const c = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, lastRxAt: -1 };
      return this.ports.traffic.read(q.link, c) ? c : null;
    }
    if (q.q === "fresh") return this.ports.random.fresh ? this.ports.random.fresh() : this.ports.random.next();
    return this.ports.random.next();
  }
}

export class XsHost implements FirmwareHost {
  readonly name = "xs";
  readonly worker: XsWorker;
  /** Heap of a bare XS worker, after gc. */
  readonly bare: Meter;
  /** Heap after the firmware code was evaluated, before any boot, after gc. */
  readonly loaded: Meter;
  readonly tick: TickMeter = { ticks: 0, computeSum: 0, computeMax: 0 };
  /** Per inbound MQTT message: heap slots allocated while the firmware handled it, and its compute. */
  readonly messages: Array<{ topic: string; heapDelta: number; compute: number }> = [];
  #current: XsBoot | null = null;

  constructor(readonly tickMs: number, private readonly now: () => number) {
    this.worker = new XsWorker((msg) => JSON.stringify(this.#current ? this.#current.answer(JSON.parse(msg) as QueryMessage) : null));
    this.bare = this.worker.evaluate("gc()");
    this.worker.evaluate(readFileSync(BUNDLE, "utf8"));
    this.loaded = this.worker.evaluate("gc()");
  }

  command(boot: XsBoot, c: CommandBody): unknown {
    const prev = this.#current;
    this.#current = boot;
    try {
      const heapBefore = this.worker.lastMeter.currentHeapCount;
      const { reply, meter } = this.worker.command(JSON.stringify({ ...c, now: this.now() }));
      if (c.cmd === "message") this.messages.push({ topic: c.message.topic, heapDelta: meter.currentHeapCount - heapBefore, compute: meter.compute });
      if (boot.isTick(c)) {
        this.tick.ticks++;
        this.tick.computeSum += meter.compute;
        if (meter.compute > this.tick.computeMax) this.tick.computeMax = meter.compute;
      }
      const { ops, result } = JSON.parse(reply) as { ops: Op[]; result: unknown };
      boot.run(ops);
      return result;
    } finally {
      this.#current = prev;
    }
  }

  boot(ports: Ports, boot: number, deviceId: string, onEvent: (e: RouterEvent) => void): FirmwareInstance {
    const b = new XsBoot(this, ports, onEvent);
    b.call({ cmd: "boot", boot, deviceId, links: [...ports.uplinks.list()] });
    return b;
  }

  /** Collect garbage in the worker and read the heap: what the firmware really keeps. */
  heapAfterGc(): Meter {
    return this.worker.command(JSON.stringify({ cmd: "gc", now: this.now() })).meter;
  }

  dispose(): void {
    this.worker.close();
  }
}
