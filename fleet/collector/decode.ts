// What a collector accepts from the broker: a topic routers/<id>/<kind> with a bounded id, a
// payload bounded in size before it is parsed, valid against the message schemas the firmware and
// the dashboard share (src/config/messages, via the dashboard's module), and within the bounds the
// schemas leave open (how many links, how long a name). Anything else is a RejectedMessage that
// says what and where, is counted and stored, and changes nothing else.
import Ajv, { type ValidateFunction } from "ajv";
import { MESSAGE_SCHEMAS } from "./message-schemas";
import { describeErrors } from "../../src/config/config";

/** Router ids: what the API accepts too. */
export const ROUTER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const LINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,31}$/;
/** A heartbeat with three links is about 400 bytes; nothing the firmware sends comes near this. */
export const MAX_PAYLOAD_BYTES = 8192;
const MAX_LINKS = 16;
const MAX_TEXT = 300;

export type MessageKind = "heartbeat" | "event" | "state" | "birth";
export const MESSAGE_KINDS: readonly MessageKind[] = ["heartbeat", "event", "state", "birth"];
export type RejectReason = "topic" | "size" | "json" | "schema" | "bounds" | "store";
export const REJECT_REASONS: readonly RejectReason[] = ["topic", "size", "json", "schema", "bounds", "store"];

export interface HeartbeatLink { name: string; state: "unknown" | "up" | "degraded" | "down"; rttMs: number; lossPct: number; jitterMs: number }
export interface Heartbeat { seq: number; epoch: number; bootId?: string; uptimeMs: number; active: string | null; configVersion: number; links: HeartbeatLink[] }
export interface RouterEventMessage {
  epoch: number; bootId?: string; seq: number; atMs: number; type: string;
  from?: string | null; to?: string; reason?: string; link?: string | null; action?: string; detail?: string;
  [field: string]: unknown;
}
export interface State { online: boolean; active?: string | null }
export interface Birth { firmware: string; configVersion: number; safeMode: boolean; boots: number; epoch: number; bootId?: string; birthSeq: number; links: string[] }

export type Accepted =
  | { ok: true; router: string; kind: "heartbeat"; value: Heartbeat }
  | { ok: true; router: string; kind: "event"; value: RouterEventMessage }
  | { ok: true; router: string; kind: "state"; value: State }
  | { ok: true; router: string; kind: "birth"; value: Birth };
export interface RejectedMessage { ok: false; router: string | null; kind: MessageKind | null; reason: RejectReason; error: string }
export type Decoded = Accepted | RejectedMessage;

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
const validators: Record<MessageKind, ValidateFunction> = {
  heartbeat: ajv.compile(MESSAGE_SCHEMAS.heartbeat), event: ajv.compile(MESSAGE_SCHEMAS.event),
  state: ajv.compile(MESSAGE_SCHEMAS.state), birth: ajv.compile(MESSAGE_SCHEMAS.birth),
};

/** routers/<id>/<kind>, or null. */
export function parseTopic(topic: string): { router: string; kind: MessageKind } | null {
  if (topic.length > 200) return null;
  const parts = topic.split("/");
  if (parts.length !== 3 || parts[0] !== "routers" || !ROUTER_ID.test(parts[1])) return null;
  const kind = parts[2] as MessageKind;
  return MESSAGE_KINDS.includes(kind) ? { router: parts[1], kind } : null;
}

export function decode(topic: string, payload: Uint8Array): Decoded {
  const t = parseTopic(topic);
  if (!t) return { ok: false, router: null, kind: null, reason: "topic", error: `topic ${JSON.stringify(topic.slice(0, 100))} is not routers/<id>/heartbeat|event|state|birth` };
  const reject = (reason: RejectReason, error: string): RejectedMessage => ({ ok: false, router: t.router, kind: t.kind, reason, error });
  if (payload.byteLength > MAX_PAYLOAD_BYTES) return reject("size", `payload of ${payload.byteLength} bytes is over the ${MAX_PAYLOAD_BYTES}-byte limit`);
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(payload));
  } catch (e) {
    return reject("json", e instanceof TypeError ? "payload is not UTF-8" : "payload is not JSON");
  }
  const v = validators[t.kind];
  if (!v(value)) return reject("schema", describeErrors(v.errors));
  const bounds = checkBounds(t.kind, value as Record<string, unknown>);
  if (bounds) return reject("bounds", bounds);
  return { ok: true, router: t.router, kind: t.kind, value } as Accepted;
}

function checkBounds(kind: MessageKind, m: Record<string, unknown>): string | null {
  if (kind === "heartbeat") {
    const links = m.links as HeartbeatLink[];
    if (links.length > MAX_LINKS) return `/links: ${links.length} links, at most ${MAX_LINKS}`;
    const names = new Set<string>();
    for (let i = 0; i < links.length; i++) {
      if (!LINK_NAME.test(links[i].name)) return `/links/${i}/name: not a link name (letters, digits, _.:@-, at most 32)`;
      if (names.has(links[i].name)) return `/links/${i}/name: ${links[i].name} twice`;
      names.add(links[i].name);
    }
    if (m.active !== null && !LINK_NAME.test(m.active as string)) return "/active: not a link name";
  }
  if (kind === "event") {
    for (const f of ["from", "to", "link"]) {
      const s = m[f];
      if (typeof s === "string" && !LINK_NAME.test(s)) return `/${f}: not a link name`;
    }
  }
  if (kind === "birth" && (m.firmware as string).length > 64) return "/firmware: longer than 64 characters";
  return null;
}

/** A string field of a message, shortened for storage. */
export function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + "…" : s;
}
