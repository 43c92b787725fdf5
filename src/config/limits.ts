// What the router accepts from the fleet and what it says back, in numbers. Every inbound message
// is hostile until proven otherwise: these bounds are checked before anything is parsed, and every
// reply or event built from a rejected message stays within them whatever the message held.
import { walkable } from "./utf8";

/**
 * Largest inbound payload in bytes. The biggest storable config (CONFIG_MAX_BYTES) plus the
 * config/set envelope fits; anything larger is dropped unread by the MQTT port and answered
 * "too big". The same figure is told to the broker where the protocol allows (MQTT 5 Maximum
 * Packet Size) and set as the broker's max_packet_size for device sessions.
 */
export const MAX_INBOUND_BYTES = 4096;

/**
 * Deepest nesting of objects and arrays in an inbound payload. Valid messages reach 5
 * ({config:{links:{wan0:{budget:{}}}}}); JSON.parse recurses per level, and XS on the device has a
 * 512-slot stack, so depth is checked by a flat scan before parsing. A test holds every inbound
 * schema to this and to MAX_VALUES.
 */
export const MAX_DEPTH = 8;

/**
 * Most values (object members and array elements, counted as commas and opening brackets) in an
 * inbound payload. The largest valid config/set has 172; each value costs XS heap slots
 * while parsed (the device has 4,928 in all).
 */
export const MAX_VALUES = 256;

/**
 * Most objects and arrays in an inbound payload (or a stored config). The largest valid
 * config/set has 35; each costs XS tens of heap slots when JSON.parse builds it, and the JSON
 * guard counts them before that: a 2 KB config of 126 small objects, within MAX_VALUES, cost
 * 2,400 of the device's 4,928 slots to handle. A test holds every inbound schema to it.
 */
export const MAX_CONTAINERS = 40;

/**
 * Longest a dated request may live: its expiresAtMs at most this far beyond the router's uptime
 * when it arrives. A request is dated from the router's last heartbeat by whoever sends it (the
 * console gives 60 s), so nothing that waited at the broker (a persistent session keeps queued
 * messages for days) or was replayed later runs more than 10 minutes after it was made.
 */
export const MAX_REQUEST_LIFE_MS = 600000;

/** Longest error text in a reply or an event: the first problem, where, and how many more. */
export const MAX_ERROR_CHARS = 200;

/** Longest piece of the sender's text (a command name, a key) quoted back in an error. */
export const MAX_QUOTE_CHARS = 32;

/**
 * A request id: printable ASCII, 1..64 characters (the schemas say the same). The pattern is made
 * at each call: one made while the module is preloaded would crash XS (build.mjs says why).
 */
export function validId(v: unknown): v is string {
  return typeof v === "string" && /^[ -~]{1,64}$/.test(v);
}

/**
 * Sender-supplied text made safe to quote: printable ASCII only (anything else becomes "?"), cut
 * to `max` characters with an ellipsis. Never echoes more than a few dozen bytes.
 */
export function quote(text: string, max = MAX_QUOTE_CHARS): string {
  const s = walkable(text);
  const cut = s.length > max;
  let out = "";
  for (let i = 0; i < s.length && i < max; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : "?";
  }
  return cut ? out + "..." : out;
}

/** An error text held to MAX_ERROR_CHARS. */
export function boundError(s: string): string {
  return s.length <= MAX_ERROR_CHARS ? s : s.slice(0, MAX_ERROR_CHARS - 3) + "...";
}
