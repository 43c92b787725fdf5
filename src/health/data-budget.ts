// A link's data budget: the bytes the router itself puts on it (probes and telemetry; users'
// traffic is theirs) per billing period, for metered uplinks such as an LTE backup plan.
//
// Spending is paced, not cut off: while more has been spent than an even spread over the period
// allows, baseline probing on the link slows by the same ratio, so the allowance lasts the period
// and a link that spends at the even rate is never slowed. Periods follow the calendar (UTC) once
// the device knows the time, else run from boot.

export interface BudgetSettings {
  bytes: number;
  period: "day" | "month";
  /** Day of the month a monthly period starts (1-28). */
  billingDay: number;
  /** Share of the budget at which the fleet is told the link nears it. */
  warnPct: number;
}

export type BudgetNotice = "near" | "exhausted" | null;

const DAY = 86400000;
/** A little head room at the start of a period, so the first probes are not paced. */
const SLACK = 0.02;

export class DataBudget {
  readonly settings: BudgetSettings | null;
  /** Bytes spent this period. */
  used = 0;
  #start = 0;
  #end = 0;
  #calendar = false;
  #told = 0;

  constructor(settings: BudgetSettings | null) {
    this.settings = settings;
  }

  /** When the current period ends (calendar ms if known, else monotonic ms). */
  get endsAt(): number { return this.#end; }
  get calendar(): boolean { return this.#calendar; }

  /** Count `bytes` spent; says when the spending first crosses the warning or the whole budget. */
  add(bytes: number, now: number, wall: number): BudgetNotice {
    this.#roll(now, wall);
    this.used += bytes;
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

  /** Stretch for baseline probe intervals: how far spending runs ahead of an even spread (>= 1). */
  pace(now: number, wall: number): number {
    const s = this.settings;
    if (!s) return 1;
    this.#roll(now, wall);
    const t = this.#calendar ? wall : now;
    const share = (t - this.#start) / (this.#end - this.#start) + SLACK;
    const allowed = s.bytes * (share < 1 ? share : 1);
    return this.used > allowed ? this.used / allowed : 1;
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
    const d = new Date(t);
    const day = (s as BudgetSettings).billingDay;
    const m = d.getUTCDate() < day ? d.getUTCMonth() - 1 : d.getUTCMonth();
    this.#start = Date.UTC(d.getUTCFullYear(), m, day);
    this.#end = Date.UTC(d.getUTCFullYear(), m + 1, day);
  }
}
