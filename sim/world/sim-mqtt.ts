// MqttSession on the simulated world: the TCP session rides one uplink; it opens only if that
// path and the broker work, dies silently when the path breaks (the client learns by keepalive,
// the broker publishes the will after 1.5 keepalives), and is reset at once if the broker dies.
// Like the device's port it caps what it hands the firmware: a payload over MAX_INBOUND_BYTES is
// dropped unread and reported by size; the RETAIN flag of each delivery is passed on.
import type { InboundMessage, MqttConnectOptions, MqttMessage, MqttSession } from "../../src/ports";
import { MAX_INBOUND_BYTES } from "../../src/config/limits";
import type { BootContext } from "./boot-context";
import type { SimBroker, BrokerSession } from "./sim-broker";
import type { SimLink } from "./sim-link";
import type { Timer, VirtualClock } from "./virtual-clock";

const CONNECT_TIMEOUT_MS = 5000;

export class SimMqttSession implements MqttSession {
  #connected: Array<() => void> = [];
  #disconnected: Array<(reason: string) => void> = [];
  #message: Array<(m: InboundMessage) => void> = [];
  #session: BrokerSession | null = null;
  #link: SimLink | null = null;
  #keepalive: Timer | null = null;
  #pending: Timer | null = null;
  #gen = 0;
  #keepAliveS = 30;
  #lastArrival = 0;

  constructor(
    private readonly ctx: BootContext,
    private readonly clock: VirtualClock,
    private readonly broker: SimBroker,
    private readonly linkByName: (name: string) => SimLink | undefined,
  ) {}

  /** Whether the path under the session works right now. */
  #pathOk(): boolean {
    return this.#link !== null && this.#link.passes && this.broker.up && this.ctx.alive;
  }

  connect(o: MqttConnectOptions): void {
    this.#drop();
    const gen = ++this.#gen;
    this.#keepAliveS = o.keepAliveS;
    const link = this.linkByName(o.link) ?? null;
    this.#link = link;
    const rtt = link ? link.sampleRtt() : 0;
    const ok = link !== null && link.passes && this.broker.up;
    this.#pending = this.clock.after(ok ? 2 * rtt : CONNECT_TIMEOUT_MS, () => {
      this.#pending = null;
      if (gen !== this.#gen) return;
      if (!ok || !this.#pathOk()) return this.#fail(gen, "connect failed");
      const s: BrokerSession = {
        clientId: o.clientId,
        clean: o.cleanSession,
        will: { topic: o.will.topic, payload: o.will.payload, retain: o.will.retain },
        kill: () => this.#fail(gen, "connection reset"),
        filters: [],
        send: (d, ack) => {
          const l = this.#link;
          if (!l) return;
          this.clock.after(l.sampleRtt() / 2, () => {
            if (gen !== this.#gen || !this.#pathOk()) return; // lost on the way: the broker keeps it in flight
            ack();
            const bytes = Buffer.byteLength(d.payload, "utf8");
            const m: InboundMessage = { topic: d.topic, payload: bytes > MAX_INBOUND_BYTES ? null : d.payload, bytes, retained: d.retained };
            this.ctx.deliver(() => { for (const fn of this.#message) fn(m); });
          });
        },
      };
      this.#session = s;
      this.broker.open(s);
      this.#keepalive = this.clock.after(o.keepAliveS * 1000, () => this.#ping(gen, s, o.keepAliveS), o.keepAliveS * 1000);
      this.ctx.deliver(() => { for (const fn of this.#connected) fn(); });
    });
  }

  #ping(gen: number, s: BrokerSession, keepAliveS: number): void {
    if (gen !== this.#gen || this.#pathOk()) return;
    // No PINGRESP: the client gives up; the broker, hearing nothing, fires the will later.
    this.clock.after(keepAliveS * 500, () => this.broker.lost(s));
    this.#fail(gen, "keepalive timeout");
  }

  #fail(gen: number, reason: string): void {
    if (gen !== this.#gen) return;
    this.#drop();
    this.#gen++;
    this.ctx.deliver(() => { for (const fn of this.#disconnected) fn(reason); });
  }

  #drop(): void {
    this.clock.cancel(this.#keepalive);
    this.clock.cancel(this.#pending);
    this.#keepalive = this.#pending = null;
    this.#session = null;
  }

  disconnect(): void {
    const s = this.#session;
    if (s) {
      // DISCONNECT reaches the broker only over a working path; otherwise the will fires later.
      if (this.#pathOk()) this.broker.close(s);
      else this.clock.after(this.#keepAliveS * 1500, () => this.broker.lost(s));
    }
    this.#drop();
    this.#gen++;
  }

  publish(m: MqttMessage, acked?: () => void): void {
    const s = this.#session, link = this.#link;
    if (!s || !link || !this.#pathOk()) return;
    const gen = this.#gen;
    const rtt = link.sampleRtt();
    // One TCP stream: messages arrive in the order they were sent, whatever each one's delay.
    const at = Math.max(this.clock.now() + rtt / 2, this.#lastArrival);
    this.#lastArrival = at;
    this.clock.at(at, () => {
      if (!this.#pathOk() || this.broker.sessions.get(s.clientId) !== s) return;
      this.broker.deliver(m.topic, m.payload, m.retain);
      if (acked) this.clock.after(rtt / 2, () => {
        if (gen === this.#gen && this.#pathOk()) this.ctx.deliver(acked);
      });
    });
  }

  subscribe(filter: string): void {
    if (this.#session && this.#pathOk()) this.broker.subscribe(this.#session, filter);
  }

  onConnected(fn: () => void): void { this.#connected.push(fn); }
  onDisconnected(fn: (reason: string) => void): void { this.#disconnected.push(fn); }
  onMessage(fn: (m: InboundMessage) => void): void { this.#message.push(fn); }
}
