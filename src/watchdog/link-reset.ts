// When to power-cycle a link that does not carry traffic: a standby modem can wedge (carrier up,
// nothing forwarded) and nobody would notice until the primary fails and the backup is needed.
// Such a link is reset soon after it is found down, then again with a doubling wait while it stays
// down, so a long upstream outage costs a handful of resets, not one a minute. Pure.
import { backoffMs } from "./escalation";

export interface ResetPlan {
  foundAt: number;
  resets: number;
  nextAt: number;
  lastResetAt: number;
  /** The reset was done and the link still has to be looked at again once its carrier is back. */
  reprobeDue: boolean;
}

export function planFor(foundAt: number, afterMs: number): ResetPlan {
  return { foundAt, resets: 0, nextAt: foundAt + afterMs, lastResetAt: -1, reprobeDue: false };
}

/** The plan after a reset at `now`: the next one waits afterMs doubled per reset so far, capped. */
export function afterReset(p: ResetPlan, now: number, afterMs: number, capMs: number): ResetPlan {
  const resets = p.resets + 1;
  return { foundAt: p.foundAt, resets, nextAt: now + backoffMs(resets, afterMs, capMs), lastResetAt: now, reprobeDue: true };
}
