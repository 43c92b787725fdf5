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
  }

  setUp(up: boolean): void {
    this.up = up;
    if (up) return;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) s.kill();
  }
}
