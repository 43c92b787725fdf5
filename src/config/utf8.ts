// UTF-8 byte length of a string, without TextEncoder or Buffer (neither exists on XS). NVS limits
// values in bytes, and a JS string's length counts UTF-16 code units: "é" is 1 unit and 2 bytes,
// an emoji 2 units and 4 bytes.

/**
 * A string to walk character by character. On XS every method call on a primitive string boxes
 * it anew (4 heap slots per charCodeAt: 16,000 slots for a 4 KB message, on a device with 4,928);
 * boxed once, the walk allocates nothing.
 */
export function walkable(s: string): String {
  return new String(s);
}

export function utf8Length(text: string): number {
  const s = walkable(text);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4; // a surrogate pair: one code point above U+FFFF
        i++;
      } else n += 3;
    } else n += 3; // the rest of the BMP; a lone surrogate is written as U+FFFD, also 3 bytes
  }
  return n;
}
