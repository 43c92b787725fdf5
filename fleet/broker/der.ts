// The few DER encodings an X.509 certificate needs (ITU-T X.690): tag, length, value. Only
// writing; reading and verifying certificates is left to OpenSSL (Mosquitto, Node's tls).

const cat = (parts: readonly Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: readonly Uint8Array[]): Buffer {
  const body = cat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

export const sequence = (...items: readonly Uint8Array[]) => tlv(0x30, ...items);
export const set = (...items: readonly Uint8Array[]) => tlv(0x31, ...items);
/** [n] EXPLICIT: a constructed context tag around a whole encoding. */
export const explicit = (n: number, inner: Uint8Array) => tlv(0xa0 | n, inner);
/** [n] IMPLICIT of a primitive: the context tag replaces the universal one. */
export const implicit = (n: number, bytes: Uint8Array) => tlv(0x80 | n, bytes);
export const boolean = (b: boolean) => tlv(0x01, Buffer.from([b ? 0xff : 0]));
export const octets = (b: Uint8Array) => tlv(0x04, b);
export const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));

/** A non-negative integer given as big-endian bytes (a serial number) or a small number. */
export function integer(v: number | Uint8Array): Buffer {
  let b: Buffer;
  if (typeof v === "number") {
    const bytes: number[] = [];
    let n = v;
    do { bytes.unshift(n & 0xff); n = Math.floor(n / 256); } while (n > 0);
    b = Buffer.from(bytes);
  } else b = Buffer.from(v);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  // A set high bit would read as negative: two's complement needs a leading zero.
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

/** A BIT STRING of whole bytes (a signature, a key). */
export const bits = (b: Uint8Array) => tlv(0x03, Buffer.from([0]), b);

/** A named-bit BIT STRING (keyUsage): bit 0 is the most significant bit of the first byte. */
export function namedBits(set: readonly number[]): Buffer {
  const top = Math.max(...set);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const n of set) bytes[Math.floor(n / 8)] |= 0x80 >> (n % 8);
  // DER drops trailing zero bits: say how many of the last byte are unused.
  const unused = 7 - (top % 8);
  return tlv(0x03, Buffer.from([unused]), bytes);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [];
    let n = arc;
    do { chunk.unshift(n & 0x7f); n = Math.floor(n / 128); } while (n > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
export function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}
