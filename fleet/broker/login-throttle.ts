// Password guessing, slowed down: after `maxFailures` refused logins from one address within
// `windowMs`, that address is turned away for `blockMs`, doubling on each repeat up to `maxBlockMs`.
// (Mosquitto 2.0 has no such setting; its production listener takes certificates, not passwords.)

export interface ThrottleOptions { maxFailures: number; windowMs: number; blockMs: number; maxBlockMs: number; maxAddresses: number }

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 5, windowMs: 60000, blockMs: 30000, maxBlockMs: 900000, maxAddresses: 10000 };

interface Entry { failures: number[]; blockedUntil: number; blocks: number }

export class LoginThrottle {
  #by = new Map<string, Entry>();

  constructor(private readonly o: ThrottleOptions = DEFAULT_THROTTLE) {}

  blocked(addr: string, now: number): boolean {
    return (this.#by.get(addr)?.blockedUntil ?? 0) > now;
  }

  failed(addr: string, now: number): void {
    let e = this.#by.get(addr);
    if (!e) {
      // Bounded memory whoever knocks: forget the oldest address first.
      if (this.#by.size >= this.o.maxAddresses) this.#by.delete(this.#by.keys().next().value as string);
      e = { failures: [], blockedUntil: 0, blocks: 0 };
      this.#by.set(addr, e);
    }
    e.failures = e.failures.filter((t) => now - t < this.o.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.o.maxFailures) {
      e.blockedUntil = now + Math.min(this.o.maxBlockMs, this.o.blockMs * 2 ** e.blocks);
      e.blocks++;
      e.failures = [];
    }
  }

  succeeded(addr: string): void {
    const e = this.#by.get(addr);
    if (e && e.blockedUntil === 0) this.#by.delete(addr);
  }
}
