// The in-process stand-in for the central message servers on the virtual clock: sessions with a
// last will, retained messages (replayed with the RETAIN flag on each SUBSCRIBE, as MQTT 3.1.1
// brokers do), persistent sessions (clean session off: subscriptions kept and QoS 1 messages
// queued while the client is away, delivered when it comes back), and a record of what arrived
// and when, for scoring. Every delivery is QoS 1: it stays in flight until the client has it.
import { topicMatches } from "../../fleet/broker/topic-filter";

export interface Arrival {
  atMs: number;
  topic: string;
  payload: string;
}

export interface Delivery {
  topic: string;
  payload: string;
  /** Sent from the retained store because of a SUBSCRIBE (the RETAIN flag on delivery). */
  retained: boolean;
}

export interface BrokerSession {
  clientId: string;
  /** MQTT clean session: false keeps the session (subscriptions, queued messages) after it ends. */
  clean: boolean;
  will: { topic: string; payload: string; retain: boolean } | null;
  /** Drops the client side: the broker went away under it. */
  kill: () => void;
  filters: string[];
  /** Hand a message to the client (it arrives after the path's delay); `ack` when it has it. */
  send: (d: Delivery, ack: () => void) => void;
}

/** Messages a persistent session keeps while its client is away (Mosquitto: max_queued_messages). */
export const SESSION_QUEUE_MAX = 100;

/** What the broker keeps of a clean-session-off client between connections. */
interface Stored {
  filters: string[];
  queue: Delivery[];
}

export class SimBroker {
  up = true;
  sessions = new Map<string, BrokerSession>();
  retained = new Map<string, string>();
  arrivals: Arrival[] = [];
  connects = 0;
  /** Persistent sessions by client id (live or not). */
  #stored = new Map<string, Stored>();
  /** Deliveries each live session has not acknowledged yet. */
  #inflight = new Map<BrokerSession, Set<Delivery>>();

  constructor(private readonly now: () => number) {}

  open(s: BrokerSession): void {
    const old = this.sessions.get(s.clientId);
    if (old && old !== s) {
      // MQTT: a new session with the same client id takes over; what the old one had in flight stays.
      this.#end(old);
      old.kill();
    }
    this.sessions.set(s.clientId, s);
    this.#inflight.set(s, new Set());
    this.connects++;
    const stored = this.#stored.get(s.clientId);
    if (s.clean) {
      this.#stored.delete(s.clientId);
      return;
    }
    this.#stored.set(s.clientId, { filters: s.filters, queue: [] });
    if (!stored) return;
    for (const f of stored.filters) if (!s.filters.includes(f)) s.filters.push(f);
    for (const d of stored.queue) this.#send(s, d);
  }

  /** Clean disconnect: no will. */
  close(s: BrokerSession): void {
    if (this.sessions.get(s.clientId) === s) this.#end(s);
  }

  /** Keepalive expired: the broker publishes the will. */
  lost(s: BrokerSession): void {
    if (this.sessions.get(s.clientId) !== s) return;
    this.#end(s);
    if (s.will) this.deliver(s.will.topic, s.will.payload, s.will.retain);
  }

  /** A session subscribes: retained messages on the filter are sent to it, flagged retained. */
  subscribe(s: BrokerSession, filter: string): void {
    if (this.sessions.get(s.clientId) !== s) return;
    if (!s.filters.includes(filter)) s.filters.push(filter);
    for (const [topic, payload] of this.retained) {
      if (topicMatches(filter, topic)) this.#send(s, { topic, payload, retained: true });
    }
  }

  deliver(topic: string, payload: string, retain: boolean): void {
    if (retain) {
      // An empty retained message clears the topic's retained one (MQTT 3.3.1.3).
      if (payload === "") this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    this.arrivals.push({ atMs: this.now(), topic, payload });
    for (const s of this.sessions.values()) {
      if (s.filters.some((f) => topicMatches(f, topic))) this.#send(s, { topic, payload, retained: false });
    }
    for (const [id, st] of this.#stored) {
      if (this.sessions.has(id) || !st.filters.some((f) => topicMatches(f, topic))) continue;
      st.queue.push({ topic, payload, retained: false });
      if (st.queue.length > SESSION_QUEUE_MAX) st.queue.shift();
    }
  }

  /** A message from the fleet side (config, commands) into the broker. */
  publish(topic: string, payload: string, retain = false): void {
    if (this.up) this.deliver(topic, payload, retain);
  }

  setUp(up: boolean): void {
    this.up = up;
    if (up) return;
    const all = [...this.sessions.values()];
    for (const s of all) this.#end(s);
    for (const s of all) s.kill();
  }

  #send(s: BrokerSession, d: Delivery): void {
    const inflight = this.#inflight.get(s);
    if (!inflight) return;
    inflight.add(d);
    s.send(d, () => inflight.delete(d));
  }

  /** The session's connection is gone; a persistent one keeps what it had not acknowledged. */
  #end(s: BrokerSession): void {
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    const pending = [...(this.#inflight.get(s) ?? [])].filter((d) => !d.retained);
    this.#inflight.delete(s);
    if (s.clean) return;
    const st = this.#stored.get(s.clientId) ?? { filters: s.filters, queue: [] };
    st.filters = s.filters;
    st.queue = [...pending, ...st.queue].slice(-SESSION_QUEUE_MAX);
    this.#stored.set(s.clientId, st);
  }
}
