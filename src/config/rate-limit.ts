// A token bucket on the monotonic clock: `capacity` actions at once, then one per `refillMs`.
// Config writes go through one (each apply writes two flash records; NVS wears out), and so do
// the rejection events a flood of bad messages would otherwise raise one by one.

export class RateLimit {
  #tokens: number;
  #at: number;

  constructor(private readonly capacity: number, private readonly refillMs: number, now: number) {
    this.#tokens = capacity;
    this.#at = now;
  }

  #refill(now: number): void {
    // A full bucket gains nothing by waiting: the next token is a whole period after the next take.
    if (this.#tokens >= this.capacity) { this.#at = now; return; }
    if (now <= this.#at) return;
    const gained = Math.floor((now - this.#at) / this.refillMs);
    if (gained <= 0) return;
    this.#tokens = Math.min(this.capacity, this.#tokens + gained);
    this.#at = this.#tokens === this.capacity ? now : this.#at + gained * this.refillMs;
  }

  /** 0 when an action may happen now, else how long until it may. */
  waitMs(now: number): number {
    this.#refill(now);
    return this.#tokens > 0 ? 0 : this.#at + this.refillMs - now;
  }

  /** Spend one token if there is one; false when the action must wait. */
  take(now: number): boolean {
    if (this.waitMs(now) > 0) return false;
    this.#tokens--;
    return true;
  }
}
