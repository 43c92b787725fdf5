// Store-and-forward for events. Every event waits here until the broker acknowledges it (QoS 1
// PUBACK). The queue is kept in the Store in small records (src/config/store-keys.ts), written at
// most once per `flushMs` and only while something has waited that long
// unacknowledged, so a router that is online writes nothing to flash in normal operation.
//
// Flash wears with writes, and a router offline for a day while a link flaps raises an event every
// few seconds: each record or meta write (set or remove) spends one token of a write budget
// (`writesPerHour`, at most two full rewrites at once). A write the budget cannot pay yet waits
// until it can, and then writes the queue as it is by then: the newest events, the drops counted.
// The price: a crash between two paced writes loses the events raised since the last one (at most
// about nine minutes' worth while the budget binds). `flush()` before a deliberate reboot is not paced.
//
// The queue is bounded twice: by count (`max`) and by what the records can hold, measured exactly
// as stored: the UTF-8 bytes of each payload's JSON string form (quotes and backslashes are escaped
// once more inside a record's array, and text may be multi-byte). Nothing is kept that the records
// cannot hold, so what a reboot restores is what was queued. When either bound is reached the
// oldest go first; an event too big for a record on its own is dropped. Every drop is counted.
import type { Clock, Store } from "../ports";
import { utf8Length } from "../config/utf8";
import { KEY_QUEUE_META as META, KEY_QUEUE_RECORD, STORE_VALUE_BYTES } from "../config/store-keys";

/** Record keys q0..q7 plus the meta record. */
export const RECORDS = 8;
/**
 * Bytes per record: one Store value (src/config/store-keys.ts).
 * 8 records hold the default 64 events many times over; only large events make the bytes bind.
 */
export const RECORD_BYTES = STORE_VALUE_BYTES;
/** Store writes (set or remove) the queue may make per hour: one a minute, under the 100 an hour a day offline may cost. */
export const WRITES_PER_HOUR = 60;
/** Writes the budget may spend at once: two full rewrites (every record and the meta). */
const BURST = 2 * (RECORDS + 1);

export interface QueuedEvent {
  payload: string;
  inflight: boolean;
  /** UTF-8 bytes of JSON.stringify(payload): what this event adds to a record, before its comma. */
  readonly bytes: number;
}

/** What one payload takes inside a record (a JSON array of strings). */
export function storedBytes(payload: string): number {
  return utf8Length(JSON.stringify(payload));
}

/**
 * How many records greedy packing of these items takes, in order, each record a JSON array of at
 * most `limit` bytes: "[" + items joined by "," + "]". Every item must fit a record on its own.
 */
export function recordsFor(items: readonly { bytes: number }[], limit: number): number {
  let records = 0, size = 0;
  for (const e of items) {
    if (records > 0 && size + 1 + e.bytes <= limit) size += 1 + e.bytes;
    else {
      records++;
      size = 2 + e.bytes;
    }
  }
  return records;
}

export class EventQueue {
  #items: QueuedEvent[] = [];
  #written: string[] = [];
  #timer: unknown = null;
  #tokens: number;
  #tokensAt: number;
  /** Store writes the queue made (sets and removes). */
  writes = 0;
  dropped = 0;
  /** Events that arrived from the Store at boot, sent before anything new. */
  restored = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private max: number,
    private readonly flushMs: number,
    private readonly writesPerHour = WRITES_PER_HOUR,
  ) {
    this.#tokens = BURST;
    this.#tokensAt = clock.now();
  }



  get length(): number { return this.#items.length; }
  get items(): readonly QueuedEvent[] { return this.#items; }

  setMax(max: number): void {
    this.max = max;
    this.#bound();
  }

  /** Read what an earlier boot left behind. A damaged record loses its own events, not the rest. */
  restore(): void {
    const meta = this.store.get(META);
    if (meta !== undefined) {
      const d = Number.parseInt(meta, 10);
      if (Number.isFinite(d) && d > 0) this.dropped = d;
    }
    for (let i = 0; i < RECORDS; i++) {
      const text = this.store.get(KEY_QUEUE_RECORD + i);
      this.#written[i] = text ?? "";
      if (text === undefined) continue;
      try {
        const list = JSON.parse(text) as unknown;
        if (!Array.isArray(list)) continue;
        for (const p of list) {
          if (typeof p !== "string") continue;
          const bytes = storedBytes(p);
          if (bytes + 2 <= RECORD_BYTES) this.#items.push({ payload: p, inflight: false, bytes });
          else this.dropped++;
        }
      } catch {
        // keep going: the other records are independent
      }
    }
    this.restored = this.#items.length;
    this.#bound();
  }

  /** Queue an event; null when it is too big to keep (dropped and counted). */
  push(payload: string): QueuedEvent | null {
    const bytes = storedBytes(payload);
    if (bytes + 2 > RECORD_BYTES) {
      this.dropped++;
      this.#arm(); // the drop count is persisted like the queue
      return null;
    }
    const e = { payload, inflight: false, bytes };
    this.#items.push(e);
    this.#bound();
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

  /** Write now (before a deliberate reboot), whatever the budget says. */
  flush(): void {
    if (this.#timer !== null) this.clock.cancel(this.#timer);
    this.#timer = null;
    this.#write(true);
  }

  /** Drop the oldest until the count and the records' bytes both hold. */
  #bound(): void {
    while (this.#items.length > this.max || (this.#items.length > 1 && recordsFor(this.#items, RECORD_BYTES) > RECORDS)) {
      this.#items.shift();
      this.dropped++;
    }
  }

  #arm(ms = this.flushMs): void {
    if (this.#timer === null) {
      this.#timer = this.clock.once(ms, () => {
        this.#timer = null;
        this.#write(false);
      });
    }
  }

  #write(force: boolean): void {
    // Packed exactly as recordsFor() counts, so every record fits and every item has one.
    const records: string[] = [];
    let cur: string[] = [], size = 0;
    for (const e of this.#items) {
      if (cur.length > 0 && size + 1 + e.bytes > RECORD_BYTES) {
        records.push("[" + cur.join(",") + "]");
        cur = [];
      }
      size = cur.length === 0 ? 2 + e.bytes : size + 1 + e.bytes;
      cur.push(JSON.stringify(e.payload));
    }
    if (cur.length > 0) records.push("[" + cur.join(",") + "]");
    const changed: number[] = [];
    for (let i = 0; i < RECORDS; i++) {
      let text = records[i] ?? "";
      // Cannot happen (the bound above); if it ever did, losing a record beats crashing the device.
      if (utf8Length(text) > RECORD_BYTES) text = "";
      records[i] = text;
      if (text !== (this.#written[i] ?? "")) changed.push(i);
    }
    const meta = String(this.dropped);
    const metaChanged = this.store.get(META) !== meta && (this.dropped > 0 || this.store.get(META) !== undefined);
    const cost = changed.length + (metaChanged ? 1 : 0);
    if (cost === 0) return;
    if (!force) {
      const now = this.clock.now();
      this.#tokens = Math.min(BURST, this.#tokens + ((now - this.#tokensAt) * this.writesPerHour) / 3600000);
      this.#tokensAt = now;
      if (this.#tokens < cost) {
        // Come back when the budget pays for it; the queue is written as it is then.
        this.#arm(Math.max(this.flushMs, Math.ceil(((cost - this.#tokens) * 3600000) / this.writesPerHour)));
        return;
      }
      this.#tokens -= cost;
    }
    for (const i of changed) {
      const text = records[i];
      if (text === "") this.store.remove(KEY_QUEUE_RECORD + i);
      else this.store.set(KEY_QUEUE_RECORD + i, text);
      this.#written[i] = text;
    }
    if (metaChanged) this.store.set(META, meta);
    this.writes += cost;
  }
}
