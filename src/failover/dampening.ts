// Flap dampening in the spirit of RFC 2439: every loss of a link adds a penalty that decays
// exponentially; above `suppress` the link is not chosen again until the penalty falls below `reuse`.
// Penalty is kept as (value, time of value) and decayed lazily, so no timer runs for it.

export interface DampeningParams {
  penalty: number;
  halfLifeMs: number;
  suppress: number;
  reuse: number;
  max: number;
}

export function decayed(value: number, elapsedMs: number, halfLifeMs: number): number {
  return elapsedMs <= 0 ? value : value * Math.pow(0.5, elapsedMs / halfLifeMs);
}

/** How long until `value` decays to `target` (0 if it already has). */
export function msUntil(value: number, target: number, halfLifeMs: number): number {
  return value <= target ? 0 : Math.ceil(halfLifeMs * Math.log2(value / target));
}

export class FlapDamper {
  #value = 0;
  #at = 0;
  #suppressed = false;

  constructor(private readonly p: DampeningParams) {}

  penalty(now: number): number {
    return decayed(this.#value, now - this.#at, this.p.halfLifeMs);
  }

  /**
   * The link went down (a flap), or stalled for a while (`weight` < 1, as RFC 2439 charges less for
   * a change that is not a withdrawal). Returns true when this starts suppression.
   */
  flap(now: number, weight = 1): boolean {
    const v = this.penalty(now) + this.p.penalty * weight;
    this.#value = v > this.p.max ? this.p.max : v;
    this.#at = now;
    if (!this.#suppressed && this.#value >= this.p.suppress) {
      this.#suppressed = true;
      return true;
    }
    return false;
  }

  suppressed(now: number): boolean {
    if (this.#suppressed && this.penalty(now) < this.p.reuse) this.#suppressed = false;
    return this.#suppressed;
  }

  /** When suppression will lift if nothing else happens (now if not suppressed). */
  reuseAt(now: number): number {
    return this.suppressed(now) ? now + msUntil(this.penalty(now), this.p.reuse, this.p.halfLifeMs) : now;
  }
}
