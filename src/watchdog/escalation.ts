// The escalation ladder: the longer the router has no usable uplink, the harder it tries.
// Pure: which rung applies after `unhealthyMs`, whether a reboot could help, and the backoffs; the
// supervisor performs each rung.

export const enum Rung { None = 0, Reprobe = 1, ResetLink = 2, Reboot = 3 }

export interface LadderTimes {
  reprobeAfterMs: number;
  resetAfterMs: number;
  rebootAfterMs: number;
}

export function rungAfter(unhealthyMs: number, t: LadderTimes): Rung {
  if (unhealthyMs >= t.rebootAfterMs) return Rung.Reboot;
  if (unhealthyMs >= t.resetAfterMs) return Rung.ResetLink;
  if (unhealthyMs >= t.reprobeAfterMs) return Rung.Reprobe;
  return Rung.None;
}

/** What the router saw of itself during the current outage. */
export interface OutageEvidence {
  /** Probes the platform never answered (not timeouts: no answer at all). */
  stuckProbes: number;
  /** Some link had carrier at some tick of the outage. */
  carrierSeen: boolean;
}

/**
 * A reboot is allowed only on local evidence that the router itself is at fault, because a reboot
 * cannot fix an ISP: it only costs the LAN its router and, before boots were told apart, cost the
 * operator's config to safe mode. Local evidence is either
 *  - the platform left probes unanswered during the outage (the network stack or a driver is stuck;
 *    a fully wedged prober is left to the hardware watchdog, this catches the partial case), or
 *  - no link had carrier at any moment of the outage, even after the links were reset: every
 *    interface is dead on our side, and re-initialising the drivers is the only remedy left.
 * An outage where some link has carrier and the platform answers every probe (with timeouts) is
 * upstream, shared by the uplinks: no reboot, only re-probes and link resets with a backoff.
 */
export function rebootMayHelp(e: OutageEvidence): boolean {
  return e.stuckProbes > 0 || !e.carrierSeen;
}

/** `firstMs` doubled `n` times, never above `capMs` (n = 0 gives firstMs). */
export function backoffMs(n: number, firstMs: number, capMs: number): number {
  let ms = firstMs;
  for (let i = 0; i < n && ms < capMs; i++) ms *= 2;
  return Math.min(ms, Math.max(capMs, firstMs));
}
