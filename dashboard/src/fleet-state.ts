// What the dashboard knows about the fleet, built from the MQTT stream alone: one row per router
// (online from the retained state and the will, active uplink, links, heartbeat age, event
// sequence gaps, a short timeline), plus every message that broke its schema, kept and shown.
// Pure and host-free: the page runs it in the browser, the bench runs it in Node.
import { checkMessage, type MessageKind } from "./message-schemas";

export interface LinkView { name: string; state: string; rttMs: number; lossPct: number; jitterMs: number }

export interface TimelineEntry { at: number; type: string; text: string }

export interface RouterRow {
  id: string;
  /** From the retained state topic; false also when the will fired. null until known. */
  online: boolean | null;
  active: string | null;
  links: LinkView[];
  /** Receive time of the last heartbeat (the dashboard's clock). */
  lastHeartbeatAt: number | null;
  heartbeats: number;
  epoch: number | null;
  lastSeq: number | null;
  /** Event sequence numbers never seen: lost on the way. */
  gaps: number;
  timeline: TimelineEntry[];
  configVersion: number | null;
  invalid: number;
  /** Bumped on every change: the view re-renders rows whose version moved. */
  version: number;
}

export interface InvalidMessage { at: number; topic: string; error: string; payload: string }

const TIMELINE_MAX = 50;
const INVALID_MAX = 200;
const TIMELINE_TYPES = new Set(["failover", "failback", "initial", "watchdog", "no-uplink", "boot", "config-applied",
  "config-rejected", "config-rolled-back", "cmd-rejected", "pinned", "dampened", "budget"]);

interface AnyEvent { epoch: number; seq: number; type: string; from?: string | null; to?: string; reason?: string;
  action?: string; detail?: string; link?: string | null; error?: string; version?: number }

export class FleetState {
  readonly rows = new Map<string, RouterRow>();
  readonly invalid: InvalidMessage[] = [];
  /** Rows changed since the last take(): the view batches on this. */
  #dirty = new Set<string>();
  messages = 0;

  row(id: string): RouterRow {
    let r = this.rows.get(id);
    if (!r) {
      r = { id, online: null, active: null, links: [], lastHeartbeatAt: null, heartbeats: 0, epoch: null, lastSeq: null,
        gaps: 0, timeline: [], configVersion: null, invalid: 0, version: 0 };
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

  ingest(topic: string, payload: string, now: number): void {
    this.messages++;
    const parts = topic.split("/");
    if (parts.length < 3 || parts[0] !== "routers") return;
    const id = parts[1];
    const kind = parts.slice(2).join("/");
    if (kind !== "heartbeat" && kind !== "event" && kind !== "state" && kind !== "birth" && kind !== "reply") return;
    const error = checkMessage(kind as MessageKind, payload);
    const r = this.row(id);
    if (error !== null) {
      r.invalid++;
      this.invalid.push({ at: now, topic, error, payload: payload.length > 300 ? payload.slice(0, 300) + "…" : payload });
      if (this.invalid.length > INVALID_MAX) this.invalid.shift();
      this.#touch(r);
      return;
    }
    const m = JSON.parse(payload) as Record<string, unknown>;
    if (kind === "heartbeat") this.#heartbeat(r, m, now);
    else if (kind === "state") {
      r.online = m.online as boolean;
      if (m.online) r.active = (m.active as string | null) ?? r.active;
    } else if (kind === "event") this.#event(r, m as unknown as AnyEvent, now);
    else if (kind === "birth") {
      r.configVersion = m.configVersion as number;
      r.online = true;
    }
    this.#touch(r);
  }

  /** Routers that have sent heartbeats but none for `silenceMs`. */
  silent(now: number, silenceMs: number): RouterRow[] {
    const out: RouterRow[] = [];
    for (const r of this.rows.values()) if (r.lastHeartbeatAt !== null && now - r.lastHeartbeatAt > silenceMs) out.push(r);
    return out;
  }

  #touch(r: RouterRow): void {
    r.version++;
    this.#dirty.add(r.id);
  }

  #heartbeat(r: RouterRow, m: Record<string, unknown>, now: number): void {
    r.lastHeartbeatAt = now;
    r.heartbeats++;
    r.active = m.active as string | null;
    r.links = m.links as LinkView[];
    r.configVersion = m.configVersion as number;
    // A heartbeat proves the router is connected, whatever a stale retained state said.
    r.online = true;
  }

  #event(r: RouterRow, e: AnyEvent, now: number): void {
    if (r.epoch !== e.epoch) {
      // A new boot starts its own sequence at 0.
      if (r.epoch === null || e.epoch > r.epoch) {
        r.epoch = e.epoch;
        r.lastSeq = null;
      } else return; // a late event from an older boot: already counted or irrelevant
    }
    if (r.lastSeq !== null) {
      const step = (e.seq - r.lastSeq + 256) % 256;
      if (step === 0 || step > 128) return; // a QoS 1 duplicate or an old one
      r.gaps += step - 1;
    }
    r.lastSeq = e.seq;
    if (e.type === "failover" || e.type === "failback" || e.type === "initial") r.active = e.to ?? r.active;
    if (TIMELINE_TYPES.has(e.type)) {
      r.timeline.push({ at: now, type: e.type, text: describe(e) });
      if (r.timeline.length > TIMELINE_MAX) r.timeline.shift();
    }
  }
}

function describe(e: AnyEvent): string {
  switch (e.type) {
    case "failover": case "failback": case "initial": return `${e.type} ${e.from ?? "-"} → ${e.to} (${e.reason})`;
    case "watchdog": return `watchdog ${e.action}: ${e.detail}`;
    case "no-uplink": return "no working uplink";
    case "boot": return `boot (epoch ${e.epoch})`;
    case "config-applied": return `config v${e.version} applied`;
    case "config-rolled-back": return `config v${e.version} rolled back`;
    case "config-rejected": case "cmd-rejected": return `${e.type}: ${e.error}`;
    default: return e.type;
  }
}
