// Store-and-forward for events. Every event waits here until the broker acknowledges it (QoS 1
// PUBACK). The queue is bounded: when full, the oldest is dropped and counted. It is kept in the
// Store in small records (NVS: keys <= 15 chars, values <= 4000 bytes), written at most once per
// `flushMs` and only while something has waited that long unacknowledged, so a router that is
// online writes nothing to flash in normal operation.
import type { Clock, Store } from "../ports";

/** Record keys q0..q7 plus the meta record. 8 x ~3.8 KB holds a full queue of 64 events with room. */
const RECORDS = 8;
const RECORD_BYTES = 3800;
const META = "qmeta";

export interface QueuedEvent {
  payload: string;
  inflight: boolean;
}

export class EventQueue {
  #items: QueuedEvent[] = [];
  #written: string[] = [];
  #timer: unknown = null;
  dropped = 0;
  /** Events that arrived from the Store at boot, sent before anything new. */
  restored = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private max: number,
    private readonly flushMs: number,
  ) {}

  get length(): number { return this.#items.length; }
  get items(): readonly QueuedEvent[] { return this.#items; }

  setMax(max: number): void {
    this.max = max;
    while (this.#items.length > max) this.#dropOldest();
  }

  /** Read what an earlier boot left behind. A damaged record loses its own events, not the rest. */
  restore(): void {
    const meta = this.store.get(META);
    if (meta !== undefined) {
      const d = Number.parseInt(meta, 10);
      if (Number.isFinite(d) && d > 0) this.dropped = d;
    }
    for (let i = 0; i < RECORDS; i++) {
      const text = this.store.get("q" + i);
      this.#written[i] = text ?? "";
      if (text === undefined) continue;
      try {
        const list = JSON.parse(text) as unknown;
        if (!Array.isArray(list)) continue;
        for (const p of list) if (typeof p === "string") this.#items.push({ payload: p, inflight: false });
      } catch {
        // keep going: the other records are independent
      }
    }
    this.restored = this.#items.length;
    while (this.#items.length > this.max) this.#dropOldest();
  }

  push(payload: string): QueuedEvent {
    if (this.#items.length >= this.max) this.#dropOldest();
    const e = { payload, inflight: false };
    this.#items.push(e);
    this.#arm();
    return e;
  }

  ack(e: QueuedEvent): void {
    const i = this.#items.indexOf(e);
    if (i < 0) return;
    this.#items.splice(i, 1);
    this.#arm();
  }

  /** Nothing is in flight any more (the session dropped): everything goes again. */
  resend(): void {
    for (const e of this.#items) e.inflight = false;
  }

  /** Write now (before a deliberate reboot). */
  flush(): void {
    if (this.#timer !== null) this.clock.cancel(this.#timer);
    this.#timer = null;
    this.#write();
  }

  #dropOldest(): void {
    this.#items.shift();
    this.dropped++;
  }

  #arm(): void {
    if (this.#timer === null) {
      this.#timer = this.clock.once(this.flushMs, () => {
        this.#timer = null;
        this.#write();
      });
    }
  }

  #write(): void {
    const records: string[] = [];
    let cur: string[] = [], size = 2;
    for (const e of this.#items) {
      if (size + e.payload.length + 1 > RECORD_BYTES && cur.length > 0) {
        records.push(JSON.stringify(cur));
        cur = [];
        size = 2;
      }
      if (records.length === RECORDS) break; // more than the records hold: the newest wait in RAM
      cur.push(e.payload);
      size += e.payload.length + 1;
    }
    if (cur.length > 0 && records.length < RECORDS) records.push(JSON.stringify(cur));
    for (let i = 0; i < RECORDS; i++) {
      const text = records[i] ?? "";
      if (text === (this.#written[i] ?? "")) continue;
      if (text === "") this.store.remove("q" + i);
      else this.store.set("q" + i, text);
      this.#written[i] = text;
    }
    const meta = String(this.dropped);
    if (this.store.get(META) !== meta && (this.dropped > 0 || this.store.get(META) !== undefined)) {
      this.store.set(META, meta);
    }
  }
}
