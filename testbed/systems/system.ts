// A system under test: whatever decides which uplink the router's users leave by.
import type { Bed } from "../bed";

export interface RouteChange { at: number; to: string }

export interface System {
  readonly name: "firmware" | "dpinger";
  /**
   * How long it runs with the user's traffic before a fault, to judge from a steady state: dpinger
   * averages over a 60 s window, and a window that is not yet full calls an alarm early.
   */
  readonly settleMs: number;
  /**
   * Its cases may run at once, each on a site of its own: it is small (two dpinger processes) and a
   * long settle per case would otherwise set the run's length. The firmware's cases run one after
   * another on one site, as a unit in the field meets its faults.
   */
  readonly parallelCases: boolean;
  /** Build what it needs, once per run. */
  prepare(): Promise<void>;
  /** Run it for one case on `bed`; resolves once it routes the users through the primary. */
  start(bed: Bed): Promise<void>;
  /** Its changes of the default route since start, the first choice excluded. */
  switches(): RouteChange[];
  /** What it printed last, for a failure's message. */
  tail(): string;
  stop(): Promise<void>;
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, tail: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms\n${tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
