// A link's data budget: the bytes the router itself puts on it (probes and telemetry; users'
// traffic is theirs) per billing period, for metered uplinks such as an LTE backup plan.
//
// Spending is paced, not cut off: once a minute the rate the router spent at is compared with the
// rate the rest of the allowance affords over the rest of the period, and baseline probing (and the
// heartbeat on the active link) slow by that ratio, so the allowance lasts the period. A link that
// spends within its budget is never slowed. Periods follow the calendar (UTC) once the device
// knows the time, else run from boot.

import type { BudgetSettings } from "../config/config";

export type { BudgetSettings };

export type BudgetNotice = "near" | "exhausted" | null;

const DAY = 86400000;
/** How often the pace is set, and the time constant of the spending rate it is set from. */
const PACE_EVERY_MS = 60000;
const RATE_TAU_MS = 600000;
/** Most the pace slows probing (a minute standby interval becomes at most 100 minutes). */
const MAX_STRETCH = 100;

export class DataBudget {
  readonly settings: BudgetSettings | null;
  /** Bytes spent this period. */
  used = 0;
  #start = 0;
  #end = 0;
  #calendar = false;
  #told = 0;
  #stretch = 1;
  #windowAt = -1;
  #windowBytes = 0;
  #rate = -1;
  /** The period's bounds are to be set anew at the next roll, keeping what was spent. */
  #rebound = false;

  /**
   * `previous`: the budget of the same link under the config this one replaces. Its period goes on
   * (a config change is not a new billing period): what was spent, the pace, and the notices
   * already sent carry over; the notices only while the budget's size and warning level stay.
   */
  constructor(settings: BudgetSettings | null, previous?: DataBudget) {
    this.settings = settings;
    if (!previous || previous.#end === 0) return;
    this.used = previous.used;
    this.#start = previous.#start;
    this.#end = previous.#end;
    this.#calendar = previous.#calendar;
    this.#stretch = previous.#stretch;
    this.#windowAt = previous.#windowAt;
    this.#windowBytes = previous.#windowBytes;
    this.#rate = previous.#rate;
    const a = previous.settings, b = settings;
    if (a && b && a.bytes === b.bytes && a.warnPct === b.warnPct) this.#told = previous.#told;
    // A changed billing period or day moves the bounds, not the spending so far.
    this.#rebound = (a?.period ?? null) !== (b?.period ?? null) || (a?.billingDay ?? null) !== (b?.billingDay ?? null);
  }

  /** When the current period ends (calendar ms if known, else monotonic ms). */
  get endsAt(): number { return this.#end; }
  get calendar(): boolean { return this.#calendar; }

  /** Count `bytes` spent; says when the spending first crosses the warning or the whole budget. */
  add(bytes: number, now: number, wall: number): BudgetNotice {
    this.#roll(now, wall);
    this.used += bytes;
    this.#windowBytes += bytes;
    const s = this.settings;
    if (!s) return null;
    if (this.#told < 2 && this.used >= s.bytes) {
      this.#told = 2;
      return "exhausted";
    }
    if (this.#told < 1 && this.used * 100 >= s.bytes * s.warnPct) {
      this.#told = 1;
      return "near";
    }
    return null;
  }

  /** Stretch (>= 1) for baseline probe intervals and heartbeats: spending rate over affordable rate. */
  pace(now: number, wall: number): number {
    const s = this.settings;
    if (!s) return 1;
    this.#roll(now, wall);
    if (this.#windowAt < 0) this.#windowAt = now;
    const dt = now - this.#windowAt;
    if (dt < PACE_EVERY_MS) return this.#stretch;
    const rate = this.#windowBytes / dt;
    this.#rate = this.#rate < 0 ? rate : this.#rate + (rate - this.#rate) * (dt / (RATE_TAU_MS + dt));
    this.#windowAt = now;
    this.#windowBytes = 0;
    // What the router would spend unpaced, against what the rest of the allowance affords.
    const t = this.#calendar ? wall : now;
    const left = s.bytes - this.used, timeLeft = this.#end - t;
    const affordable = left > 0 && timeLeft > 0 ? left / timeLeft : 0;
    const unpaced = this.#rate * this.#stretch;
    const want = affordable > 0 ? unpaced / affordable : MAX_STRETCH;
    this.#stretch = want < 1 ? 1 : want > MAX_STRETCH ? MAX_STRETCH : want;
    return this.#stretch;
  }

  /** Carry spending over a reboot: only into the same calendar period. */
  restore(periodStart: number, used: number, now: number, wall: number): void {
    this.#roll(now, wall);
    if (this.#calendar && periodStart === this.#start && used > this.used) this.used = used;
  }

  get periodStart(): number { return this.#start; }

  #roll(now: number, wall: number): void {
    const calendar = wall > 0;
    const t = calendar ? wall : now;
    if (this.#rebound) {
      this.#rebound = false;
      this.#calendar = calendar;
      this.#bounds(t);
      return;
    }
    if (calendar === this.#calendar && t >= this.#start && t < this.#end) return;
    if (calendar !== this.#calendar && this.#end !== 0) {
      // The clock just became known: the spending so far belongs to the calendar period now.
      this.#calendar = calendar;
      this.#bounds(t);
      return;
    }
    this.#calendar = calendar;
    this.#bounds(t);
    this.used = 0;
    this.#told = 0;
    this.#stretch = 1;
  }

  #bounds(t: number): void {
    const s = this.settings;
    const monthly = s !== null && s.period === "month";
    if (!this.#calendar) {
      const len = monthly ? 30 * DAY : DAY;
      this.#start = t - (t % len);
      this.#end = this.#start + len;
      return;
    }
    if (!monthly) {
      this.#start = t - (t % DAY);
      this.#end = this.#start + DAY;
      return;
    }
    const day = (s as BudgetSettings).billingDay;
    const c = civil(Math.floor(t / DAY));
    let y = c.y, m = c.m;
    if (c.d < day) {
      m--;
      if (m < 1) { m = 12; y--; }
    }
    this.#start = daysFromCivil(y, m, day) * DAY;
    this.#end = daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, day) * DAY;
  }
}

// Calendar arithmetic on days since 1970-01-01 (proleptic Gregorian, UTC), after Howard Hinnant's
// days_from_civil: time reaches the firmware only through the Clock port, so no Date here.

/** Days since 1970-01-01 of year `y`, month `m` (1-12), day `d`. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Year, month (1-12) and day of days since 1970-01-01. */
export function civil(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}
