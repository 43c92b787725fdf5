// Reassembles the fragments Moddable's ECMA-419 MQTT client hands over. The client delivers a
// PUBLISH payload as it arrives from the socket: one onReadable(count, info) per piece, the first
// with info.topic, info.QoS and info.byteLength (the whole payload's size), the rest with only
// info.more, false on the last piece (examples/io/tcp/mqttclient/mqttclient.js, parser state 0x36;
// documentation/io/io.md, "MQTT Client Class"). Any message bigger than what one TCP segment or
// TLS record brought is split, and the client has already queued the QoS 1 PUBACK by the time the
// last piece is read, so dropping pieces here loses the message for good.
//
// Pieces are copied into one buffer of the announced size, up to `max` bytes; a bigger message is
// read and thrown away piece by piece (nothing is kept) and reported by its size only.
import type { InboundMessage } from "../../src/ports";

export interface FragmentInfo {
  more: boolean;
  topic?: string;
  byteLength?: number;
  /** Not given by Moddable's client (it parses the RETAIN flag but does not pass it on). */
  retain?: boolean;
}

export class MessageAssembler {
  #topic: string | null = null;
  #buf: Uint8Array | null = null;
  #total = 0;
  #filled = 0;
  #retained = false;

  constructor(
    private readonly max: number,
    /** UTF-8 bytes to text; null when they are not valid UTF-8. */
    private readonly decode: (bytes: Uint8Array) => string | null,
  ) {}

  /** One piece, as read from the client. Returns the message when its last piece is in. */
  push(info: FragmentInfo, data: ArrayBuffer | undefined): InboundMessage | null {
    if (info.topic !== undefined) {
      this.#topic = info.topic;
      this.#total = info.byteLength ?? (data ? data.byteLength : 0);
      this.#filled = 0;
      this.#retained = info.retain === true;
      this.#buf = this.#total <= this.max ? new Uint8Array(this.#total) : null;
    } else if (this.#topic === null) {
      return null; // the tail of a message whose start this session never saw
    }
    const n = data ? data.byteLength : 0;
    if (this.#buf && data) {
      if (this.#filled + n <= this.#buf.length) this.#buf.set(new Uint8Array(data), this.#filled);
      else this.#buf = null; // more than announced: treat as too big
    }
    this.#filled += n;
    if (info.more) return null;
    const bytes = Math.max(this.#total, this.#filled);
    const buf = this.#buf;
    const m: InboundMessage = {
      topic: this.#topic,
      payload: buf && bytes <= this.max ? this.decode(buf.subarray(0, this.#filled)) : null,
      bytes,
      retained: this.#retained,
    };
    this.reset();
    return m;
  }

  /** The session ended: a half-received message is gone. */
  reset(): void {
    this.#topic = null;
    this.#buf = null;
    this.#total = this.#filled = 0;
    this.#retained = false;
  }
}
