// What the router spends on each link (probes, telemetry), against that link's data budget: one
// DataBudget per link that outlives config changes (a new config carries the period on) and, for
// calendar periods, reboots (saved to the Store at most every SAVE_MS, since flash wears).
import type { Clock, Store } from "../ports";
import type { BudgetSettings } from "../config/config";
import { KEY_SPENT } from "../config/store-keys";
import { DataBudget, type BudgetNotice } from "./data-budget";

/** Least time between saves of the budgets' spending (flash wear). */
const SAVE_MS = 600000;

export class Spending {
  #clock: Clock;
  #store: Store;
  #notice: (link: string, action: Exclude<BudgetNotice, null>, detail: string) => void;
  #budgets = new Map<string, DataBudget>();
  #savedAt = 0;

  /** `notice` tells the fleet when a link's spending first crosses its warning or its budget. */
  constructor(clock: Clock, store: Store, notice: (link: string, action: Exclude<BudgetNotice, null>, detail: string) => void) {
    this.#clock = clock;
    this.#store = store;
    this.#notice = notice;
  }

  /** The link's budget under a (new) config; its period goes on from the budget it replaces. */
  budget(link: string, settings: BudgetSettings | null): DataBudget {
    const b = new DataBudget(settings, this.#budgets.get(link));
    this.#budgets.set(link, b);
    return b;
  }

  get(link: string): DataBudget | undefined { return this.#budgets.get(link); }

  /** Stretch (>= 1) for the link's baseline probing and heartbeats. */
  pace(link: string | null): number {
    const b = link === null ? undefined : this.#budgets.get(link);
    return b && b.settings ? b.pace(this.#clock.now(), this.#clock.wallMs()) : 1;
  }

  spend(link: string, bytes: number): void {
    const b = this.#budgets.get(link);
    if (!b) return;
    const clock = this.#clock;
    // Calendar time only where a budget needs it (a device asks SNTP's clock; a link without a
    // budget counts its spending per day since boot).
    const notice: BudgetNotice = b.add(bytes, clock.now(), b.settings ? clock.wallMs() : 0);
    if (b.settings) this.#save();
    if (notice === null) return;
    const s = b.settings as BudgetSettings;
    this.#notice(link, notice, `${b.used} of ${s.bytes} bytes used this ${s.period}; probing paced to last the period`);
  }

  /** Spending survives a reboot within the same calendar period. */
  restore(): void {
    const saved = this.#store.get(KEY_SPENT);
    if (!saved) return;
    for (const rec of saved.split(";")) {
      const [link, start, used] = rec.split(",");
      const b = this.#budgets.get(link);
      const s = Number(start), u = Number(used);
      if (b && Number.isFinite(s) && Number.isFinite(u) && u >= 0) b.restore(s, u, this.#clock.now(), this.#clock.wallMs());
    }
  }

  #save(): void {
    const now = this.#clock.now();
    if (now - this.#savedAt < SAVE_MS && this.#savedAt > 0) return;
    this.#savedAt = now;
    let out = "";
    for (const [link, b] of this.#budgets) {
      if (!b.settings || !b.calendar) continue;
      out += (out ? ";" : "") + link + "," + b.periodStart + "," + b.used;
    }
    if (out) this.#store.set(KEY_SPENT, out);
  }
}
