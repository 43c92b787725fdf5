// Just enough of the MQTT wire format (3.1, 3.1.1 and 5) for a gatekeeper in front of a broker:
// packet boundaries with their announced sizes, the CONNECT packet's client id and username, and
// the CONNACK's verdict. Everything read is bounded; nothing is trusted.

/** Tracks packet boundaries in a byte stream; says when a packet announces more than `max` bytes. */
export class PacketSizeGuard {
  #body = 0;
  #header: number[] = [];

  constructor(private readonly max: number) {}

  /** Feed the next bytes. Returns the announced size of an oversized (or malformed) packet, else 0. */
  check(chunk: Uint8Array): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.#body > 0) {
        const n = Math.min(this.#body, chunk.length - i);
        this.#body -= n;
        i += n;
        continue;
      }
      const h = this.#header;
      h.push(chunk[i++]);
      if (h.length === 1) continue;
      if (h[h.length - 1] & 0x80) {
        if (h.length === 5) return Number.MAX_SAFE_INTEGER; // a fifth length byte: malformed
        continue;
      }
      let len = 0;
      for (let k = h.length - 1; k >= 1; k--) len = len * 128 + (h[k] & 0x7f);
      const total = h.length + len;
      this.#header = [];
      if (total > this.max) return total;
      this.#body = len;
    }
    return 0;
  }
}

export type ConnectRead =
  | { state: "incomplete" }
  | { state: "bad"; reason: string }
  | { state: "ok"; level: number; clientId: string; username: string | null; bytes: number;
      /** The broker is asked to keep the session after the connection ends (clean session off, or MQTT 5 with a session expiry). */
      persistent: boolean };

/** Reads the first packet of a connection, which must be a CONNECT (`buf` holds what arrived so far). */
export function readConnect(buf: Uint8Array): ConnectRead {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 1) return { state: "incomplete" };
  if (b[0] !== 0x10) return { state: "bad", reason: "the first packet is not a CONNECT" };
  let len = 0, i = 1, mul = 1;
  for (;; i++) {
    if (i >= b.length) return { state: "incomplete" };
    if (i > 4) return { state: "bad", reason: "malformed remaining length" };
    len += (b[i] & 0x7f) * mul;
    mul *= 128;
    if (!(b[i] & 0x80)) break;
  }
  const start = i + 1, end = start + len;
  if (b.length < end) return { state: "incomplete" };
  let p = start;
  const need = (n: number) => { if (p + n > end) throw new Error("CONNECT shorter than its fields"); };
  const u16 = () => { need(2); const v = b.readUInt16BE(p); p += 2; return v; };
  const bytes = () => { const n = u16(); need(n); const v = b.subarray(p, p + n); p += n; return v; };
  const varint = () => {
    let v = 0, m = 1;
    for (let k = 0; k < 4; k++) { need(1); const x = b[p++]; v += (x & 0x7f) * m; m *= 128; if (!(x & 0x80)) return v; }
    throw new Error("malformed property length");
  };
  const skipProperties = () => { const n = varint(); need(n); p += n; };
  /** CONNECT properties (MQTT 5): the Session Expiry Interval (0x11), 0 when absent. */
  const sessionExpiry = (): number => {
    const n = varint();
    need(n);
    const stop = p + n;
    let expiry = 0;
    while (p < stop) {
      const id = b[p++];
      if (id === 0x11 || id === 0x27) { need(4); if (id === 0x11) expiry = b.readUInt32BE(p); p += 4; }
      else if (id === 0x21 || id === 0x22) { need(2); p += 2; }
      else if (id === 0x17 || id === 0x19) { need(1); p += 1; }
      else if (id === 0x15 || id === 0x16) bytes();
      else if (id === 0x26) { bytes(); bytes(); }
      else throw new Error(`unknown CONNECT property 0x${id.toString(16)}`);
    }
    if (p !== stop) throw new Error("CONNECT properties longer than announced");
    return expiry;
  };
  try {
    const proto = bytes().toString("utf8");
    need(4);
    const level = b[p], flags = b[p + 1];
    p += 4; // level, flags, keepalive
    if (!((proto === "MQTT" && (level === 4 || level === 5)) || (proto === "MQIsdp" && level === 3))) {
      return { state: "bad", reason: `unknown protocol ${JSON.stringify(proto.slice(0, 16))} level ${level}` };
    }
    const expiry = level === 5 ? sessionExpiry() : 0;
    const clientId = bytes().toString("utf8");
    if (flags & 0x04) {
      if (level === 5) skipProperties();
      bytes(); // will topic
      bytes(); // will payload
    }
    const username = flags & 0x80 ? bytes().toString("utf8") : null;
    return { state: "ok", level, clientId, username, bytes: end, persistent: !(flags & 0x02) || expiry > 0 };
  } catch (e) {
    return { state: "bad", reason: (e as Error).message };
  }
}

/** The verdict of a CONNACK at the head of `buf`: true accepted, false refused, null not a CONNACK (yet). */
export function connackAccepted(buf: Uint8Array): boolean | null {
  if (buf.length < 4 || buf[0] !== 0x20) return null;
  return buf[3] === 0; // 3.1.1: return code 0; 5: reason code 0 (success)
}

/** A CONNACK that refuses the client id (3.1.1: code 2; 5: 0x85 Client Identifier not valid). */
export function connackIdRejected(level: number): Buffer {
  return level === 5 ? Buffer.from([0x20, 0x03, 0x00, 0x85, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x02]);
}

/** A CONNACK that says the server will not take more (3.1.1: code 3 server unavailable; 5: 0x97 quota exceeded). */
export function connackQuotaExceeded(level: number): Buffer {
  return level === 5 ? Buffer.from([0x20, 0x03, 0x00, 0x97, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x03]);
}

/** A CONNACK that refuses a login (3.1.1: code 5 not authorized; 5: 0x87). */
export function connackNotAuthorized(level: number): Buffer {
  return level === 5 ? Buffer.from([0x20, 0x03, 0x00, 0x87, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x05]);
}
