// What the dashboard knows about the fleet, built from the MQTT stream alone: one row per router
// (online from the retained state and the will, active uplink, links, heartbeat age, event
// sequence gaps, a short timeline), plus the last messages that broke their schema, shown.
// Pure and host-free: the page runs it in the browser, the bench runs it in Node.
//
// Everything here comes from devices and is hostile until judged: a message is measured before it
// is parsed, and whatever is kept is bounded (links per router, text per field, messages kept), so
// no single device can make this state, or the page that renders it, large.
import { judgeMessage, MAX_EPOCH, type MessageKind } from "./message-schemas";

export interface LinkView {
  name: string; state: string; rttMs: number; lossPct: number; jitterMs: number;
  /** Users' packets/s, and the router's own spending on the link this billing period (and its budget). */
  rxPps?: number; usedBytes?: number; budgetBytes?: number;
}

export interface TimelineEntry { at: number; type: string; text: string }

export interface RouterRow {
  id: string;
  /** From the retained state topic; false also when the will fired. null until known. */
  online: boolean | null;
  active: string | null;
  /** The first `limits.links` links of the last heartbeat; `linkCount` says how many it had. */
  links: LinkView[];
  linkCount: number;
  /** The first (preferred) link: from the last heartbeat, or from the history before one arrives. */
  primaryLink: string | null;
  /** Receive time of the last heartbeat (the dashboard's clock). */
  lastHeartbeatAt: number | null;
  heartbeats: number;
  /** The boot whose events are being sequenced. */
  epoch: number | null;
  /** The boot the router itself last reported (heartbeat, birth): what `epoch` resynchronises to. */
  liveEpoch: number | null;
  /** The random boot id of `epoch` and of `liveEpoch` (null from firmware without one). */
  bootId: string | null;
  liveBootId: string | null;
  lastSeq: number | null;
  /** Event sequence numbers never seen: lost on the way. */
  gaps: number;
  timeline: TimelineEntry[];
  configVersion: number | null;
  invalid: number;
  /** Bumped on every change: the view re-renders rows whose version moved. */
  version: number;
}

/** Routers a page takes from the history at load (the API's own cap). */
const SEED_MAX = 5000;

/** A router as the fleet history API lists it (/api/history/fleet/routers). */
export interface HistoryRouter {
  id: string; online: boolean | null; active: string | null; epoch: number | null;
  configVersion: number | null; lastHeartbeatAt: number | null;
  /** The first link of its last stored heartbeat: with `active`, whether it is on a backup before the stream speaks. */
  primaryLink?: string | null;
}

export interface InvalidMessage { at: number; topic: string; error: string; payload: string }

export interface FleetLimits {
  /** Messages larger than this are dropped before they are decoded or parsed. */
  messageBytes: number;
  /** Links kept (and shown) per router. */
  links: number;
  /** Invalid messages kept (the newest). */
  invalidKept: number;
  /** Characters kept of an error, of a payload excerpt, of a timeline line. */
  textChars: number;
  /** Characters kept of a link name or an uplink name. */
  nameChars: number;
  /** Router ids (the topic level) longer than this are not made into rows. */
  idChars: number;
  timeline: number;
}

export const DEFAULT_LIMITS: Readonly<FleetLimits> = {
  // A heartbeat of 16 links is under 2 KB: 16 KB is room to grow, and parses in well under a frame.
  messageBytes: 16384, links: 16, invalidKept: 20, textChars: 300, nameChars: 64, idChars: 128, timeline: 50,
};

/** Why messages were dropped without being parsed. */
export interface DropCounts { tooLarge: number; badTopic: number; notUtf8: number }

const TIMELINE_TYPES = new Set(["failover", "failback", "initial", "watchdog", "no-uplink", "boot", "config-applied",
  "config-rejected", "config-rolled-back", "cmd-rejected", "pinned", "dampened", "budget"]);
const KINDS = new Set<string>(["heartbeat", "event", "state", "birth", "reply"]);

interface AnyEvent { epoch: number; bootId?: string; seq: number; type: string; from?: string | null; to?: string; reason?: string;
  action?: string; detail?: string; link?: string | null; error?: string; version?: number }

/** At most `n` characters of `s`, marked when cut. */
export function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n) + "…";
}

export class FleetState {
  readonly limits: FleetLimits;
  readonly rows = new Map<string, RouterRow>();
  /** The newest invalid messages, oldest first, at most `limits.invalidKept`. */
  readonly invalid: InvalidMessage[] = [];
  /** Every invalid or dropped message ever seen (the list above keeps only the newest). */
  invalidTotal = 0;
  /** Bumped when `invalid` changes: the view rebuilds that panel only then. */
  invalidVersion = 0;
  readonly dropped: DropCounts = { tooLarge: 0, badTopic: 0, notUtf8: 0 };
  /** Rows changed since the last take(): the view batches on this. */
  #dirty = new Set<string>();
  #decoder = new TextDecoder("utf-8", { fatal: true });
  #lenient = new TextDecoder("utf-8");
  messages = 0;

  constructor(limits: Partial<FleetLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  row(id: string): RouterRow {
    let r = this.rows.get(id);
    if (!r) {
      r = { id, online: null, active: null, links: [], linkCount: 0, primaryLink: null, lastHeartbeatAt: null, heartbeats: 0, epoch: null,
        liveEpoch: null, bootId: null, liveBootId: null, lastSeq: null, gaps: 0, timeline: [], configVersion: null, invalid: 0, version: 0 };
      this.rows.set(id, r);
    }
    return r;
  }

  /** Ids of rows that changed since the last call. */
  takeDirty(): string[] {
    const ids = [...this.#dirty];
    this.#dirty.clear();
    return ids;
  }

  /**
   * What the fleet history knew of routers when the page opened (their last state, boot and
   * heartbeat), so a page opened after the fact does not show "never" until each router speaks
   * again. Only fields the live stream has not set yet are filled; bounded like live rows.
   */
  seed(known: readonly HistoryRouter[]): void {
    for (const k of known.slice(0, SEED_MAX)) {
      if (typeof k.id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/.test(k.id)) continue;
      const fresh = !this.rows.has(k.id);
      const r = this.row(k.id);
      if (r.online === null && typeof k.online === "boolean") r.online = k.online;
      if (r.active === null && typeof k.active === "string") r.active = clip(k.active, this.limits.nameChars);
      if (r.primaryLink === null && typeof k.primaryLink === "string") r.primaryLink = clip(k.primaryLink, this.limits.nameChars);
      if (r.lastHeartbeatAt === null && typeof k.lastHeartbeatAt === "number" && Number.isFinite(k.lastHeartbeatAt)) r.lastHeartbeatAt = k.lastHeartbeatAt;
      if (r.liveEpoch === null && typeof k.epoch === "number" && Number.isInteger(k.epoch) && k.epoch > 0 && k.epoch <= MAX_EPOCH) r.liveEpoch = r.epoch = k.epoch;
      if (r.configVersion === null && typeof k.configVersion === "number" && Number.isInteger(k.configVersion)) r.configVersion = k.configVersion;
      if (fresh || r.version === 0) this.#touch(r);
    }
  }

  /** One message as it came off the wire (bytes) or already decoded (text). */
  ingest(topic: string, payload: string | Uint8Array, now: number): void {
    this.messages++;
    const parts = topic.split("/", 4);
    if (parts.length < 3 || parts[0] !== "routers") return;
    const kind = topic.slice(parts[0].length + parts[1].length + 2);
    if (!KINDS.has(kind)) return;
    const id = parts[1];
    const L = this.limits;
    if (id.length === 0 || id.length > L.idChars) {
      this.dropped.badTopic++;
      return this.#reject(null, topic, `router id of ${id.length} characters (limit ${L.idChars}): dropped`, "", now);
    }
    const r = this.row(id);
    // A string is never shorter than its UTF-8 encoding has characters, so both tests are safe bounds.
    const size = typeof payload === "string" ? payload.length : payload.byteLength;
    if (size > L.messageBytes) {
      this.dropped.tooLarge++;
      const head = typeof payload === "string" ? payload.slice(0, L.textChars) : this.#lenient.decode(payload.subarray(0, L.textChars));
      return this.#reject(r, topic, `${size} bytes, over the ${L.messageBytes}-byte limit: dropped unparsed`, head, now);
    }
    let text: string;
    if (typeof payload === "string") text = payload;
    else {
      try {
        text = this.#decoder.decode(payload);
      } catch {
        this.dropped.notUtf8++;
        return this.#reject(r, topic, "not UTF-8", this.#lenient.decode(payload.subarray(0, L.textChars)), now);
      }
    }
    const judged = judgeMessage(kind as MessageKind, text);
    if (!judged.ok) return this.#reject(r, topic, judged.error, text, now);
    const m = judged.value;
    if (kind === "heartbeat") this.#heartbeat(r, m, now);
    else if (kind === "state") {
      r.online = m.online as boolean;
      if (m.online && typeof m.active === "string") r.active = clip(m.active, L.nameChars);
    } else if (kind === "event") this.#event(r, m as unknown as AnyEvent, now);
    else if (kind === "birth") {
      r.configVersion = m.configVersion as number;
      r.online = true;
      this.#live(r, m.epoch as number, m.bootId as string | undefined);
    }
    this.#touch(r);
  }

  /** Routers that have sent heartbeats but none for `silenceMs`. */
  silent(now: number, silenceMs: number): RouterRow[] {
    const out: RouterRow[] = [];
    for (const r of this.rows.values()) if (r.lastHeartbeatAt !== null && now - r.lastHeartbeatAt > silenceMs) out.push(r);
    return out;
  }

  #reject(r: RouterRow | null, topic: string, error: string, payload: string, now: number): void {
    const L = this.limits;
    this.invalidTotal++;
    this.invalidVersion++;
    this.invalid.push({ at: now, topic: clip(topic, L.idChars + 32), error: clip(error, L.textChars), payload: clip(payload, L.textChars) });
    if (this.invalid.length > L.invalidKept) this.invalid.splice(0, this.invalid.length - L.invalidKept);
    if (r) {
      r.invalid++;
      this.#touch(r);
    }
  }

  #touch(r: RouterRow): void {
    r.version++;
    this.#dirty.add(r.id);
  }

  #heartbeat(r: RouterRow, m: Record<string, unknown>, now: number): void {
    const L = this.limits;
    r.lastHeartbeatAt = now;
    r.heartbeats++;
    r.active = typeof m.active === "string" ? clip(m.active, L.nameChars) : null;
    const links = m.links as LinkView[];
    r.linkCount = links.length;
    r.links = links.slice(0, L.links).map((l) => ({ name: clip(l.name, L.nameChars), state: l.state, rttMs: l.rttMs,
      lossPct: l.lossPct, jitterMs: l.jitterMs, rxPps: l.rxPps, usedBytes: l.usedBytes, budgetBytes: l.budgetBytes }));
    r.primaryLink = r.links[0]?.name ?? null;
    r.configVersion = m.configVersion as number;
    // A heartbeat proves the router is connected, whatever a stale retained state said.
    r.online = true;
    this.#live(r, m.epoch as number, m.bootId as string | undefined);
  }

  /**
   * The router says which boot it is in. Events sequenced under a later boot than that (one bogus
   * event is enough) would hide every real event from now on: follow the router instead.
   */
  #live(r: RouterRow, epoch: number, bootId: string | undefined): void {
    r.liveEpoch = epoch;
    r.liveBootId = bootId ?? null;
    // Another boot id is another boot whatever its epoch says (an erased store starts it over).
    if (r.epoch !== null && (r.epoch > epoch || (bootId !== undefined && r.bootId !== bootId))) {
      r.epoch = epoch;
      r.bootId = bootId ?? null;
      r.lastSeq = null;
    }
  }

  #event(r: RouterRow, e: AnyEvent, now: number): void {
    const boot = e.bootId ?? null;
    if (r.epoch !== e.epoch || r.bootId !== boot) {
      // A new boot starts its own sequence at 0. An older one is a late event, already counted or
      // irrelevant, unless it is the boot the router itself reports (the newer one was bogus).
      // With boot ids only the reported boot is new: epochs start over when a store is erased.
      const current = boot !== null && r.liveBootId !== null ? boot === r.liveBootId : e.epoch > (r.epoch ?? 0) || e.epoch === r.liveEpoch;
      if (r.epoch === null || current) {
        r.epoch = e.epoch;
        r.bootId = boot;
        r.lastSeq = null;
      } else return;
    }
    if (r.lastSeq !== null) {
      const step = (e.seq - r.lastSeq + 256) % 256;
      if (step === 0 || step > 128) return; // a QoS 1 duplicate or an old one
      r.gaps += step - 1;
    }
    r.lastSeq = e.seq;
    if ((e.type === "failover" || e.type === "failback" || e.type === "initial") && e.to !== undefined) r.active = clip(e.to, this.limits.nameChars);
    if (TIMELINE_TYPES.has(e.type)) {
      r.timeline.push({ at: now, type: e.type, text: clip(describe(e), this.limits.textChars) });
      if (r.timeline.length > this.limits.timeline) r.timeline.splice(0, r.timeline.length - this.limits.timeline);
    }
  }
}

function describe(e: AnyEvent): string {
  const s = (v: unknown) => clip(String(v), 300);
  switch (e.type) {
    case "failover": case "failback": case "initial": return `${e.type} ${s(e.from ?? "-")} → ${s(e.to)} (${s(e.reason)})`;
    case "watchdog": return `watchdog ${s(e.action)}: ${s(e.detail)}`;
    case "no-uplink": return "no working uplink";
    case "boot": return `boot (epoch ${e.epoch})`;
    case "config-applied": return `config v${e.version} applied`;
    case "config-rolled-back": return `config v${e.version} rolled back`;
    case "config-rejected": case "cmd-rejected": return `${e.type}: ${s(e.error)}`;
    default: return e.type;
  }
}
