// The in-process stand-in for the central message servers on the virtual clock: sessions with a
// last will, retained messages, and a record of what arrived and when, for scoring.
export interface Arrival {
  atMs: number;
  topic: string;
  payload: string;
}

export interface BrokerSession {
  clientId: string;
  will: { topic: string; payload: string; retain: boolean } | null;
  /** Drops the client side: the broker went away under it. */
  kill: () => void;
  filters: string[];
  /** Hand a message to the client (it arrives after the path's delay). */
  send: (topic: string, payload: string) => void;
}

/** MQTT topic filter match with + and #. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/"), t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export class SimBroker {
  up = true;
  sessions = new Map<string, BrokerSession>();
  retained = new Map<string, string>();
  arrivals: Arrival[] = [];
  connects = 0;

  constructor(private readonly now: () => number) {}

  open(s: BrokerSession): void {
    const old = this.sessions.get(s.clientId);
    if (old && old !== s) old.kill(); // MQTT: a new session with the same client id takes over
    this.sessions.set(s.clientId, s);
    this.connects++;
  }

  /** Clean disconnect: no will. */
  close(s: BrokerSession): void {
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
  }

  /** Keepalive expired: the broker publishes the will. */
  lost(s: BrokerSession): void {
    if (this.sessions.get(s.clientId) !== s) return;
    this.sessions.delete(s.clientId);
    if (s.will) this.deliver(s.will.topic, s.will.payload, s.will.retain);
  }

  deliver(topic: string, payload: string, retain: boolean): void {
    if (retain) this.retained.set(topic, payload);
    this.arrivals.push({ atMs: this.now(), topic, payload });
    for (const s of this.sessions.values()) {
      if (s.filters.some((f) => topicMatches(f, topic))) s.send(topic, payload);
    }
  }

  /** A message from the fleet side (config, commands) into the broker. */
  publish(topic: string, payload: string): void {
    if (this.up) this.deliver(topic, payload, false);
  }

  setUp(up: boolean): void {
    this.up = up;
    if (up) return;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) s.kill();
  }
}
