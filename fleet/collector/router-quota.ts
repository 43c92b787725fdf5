// Per-router quotas: what one router may make the collector store, so that a router flooding its
// topics (a bug, or a stolen key) spends its own allowance and nobody else's. A token bucket per
// router: `burst` at once (a router replaying its offline queue after an outage), then `perMinute`.
// What is over is dropped and counted per router (the router row's `dropped`, written with the next
// flush) and in /metrics. Buckets that are full again are forgotten, so the map holds only routers
// that spent something in the last refill period.

export interface QuotaOptions {
  /** Tokens a router may spend at once. */
  burst: number;
  /** Tokens added per minute. */
  perMinute: number;
}

interface Bucket { tokens: number; at: number }

export class RouterQuota {
  #buckets = new Map<string, Bucket>();
  #dropped = new Map<string, number>();
  #lastSweep = 0;

  constructor(readonly o: QuotaOptions) {}

  /** Spend one token of `router`'s; false (and counted) when it has none. */
  take(router: string, now: number): boolean {
    this.#sweep(now);
    let b = this.#buckets.get(router);
    if (!b) { b = { tokens: this.o.burst, at: now }; this.#buckets.set(router, b); }
    else this.#refill(b, now);
    if (b.tokens >= 1) { b.tokens -= 1; return true; }
    this.#dropped.set(router, (this.#dropped.get(router) ?? 0) + 1);
    return false;
  }

  /** Count `n` drops of `router`'s made elsewhere (link names, rejected rows over their cap). */
  count(router: string, n = 1): void {
    this.#dropped.set(router, (this.#dropped.get(router) ?? 0) + n);
  }

  /** Drops per router since the last call (written to the routers' rows). */
  takeDropped(): Map<string, number> {
    const d = this.#dropped;
    this.#dropped = new Map();
    return d;
  }

  /** Put drops that could not be written back. */
  restoreDropped(d: ReadonlyMap<string, number>): void {
    for (const [r, n] of d) this.#dropped.set(r, (this.#dropped.get(r) ?? 0) + n);
  }

  get routers(): number { return this.#buckets.size; }

  #refill(b: Bucket, now: number): void {
    if (now > b.at) b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) * this.o.perMinute) / 60000);
    b.at = Math.max(b.at, now);
  }

  /** Forget full buckets (at most once a minute): a router that stopped spending is a fresh router again. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < 60000) return;
    this.#lastSweep = now;
    for (const [k, b] of this.#buckets) {
      this.#refill(b, now);
      if (b.tokens >= this.o.burst) this.#buckets.delete(k);
    }
  }
}
