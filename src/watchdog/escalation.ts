// The escalation ladder: the longer the router has no usable uplink, the harder it tries.
// Pure: which rung applies after `unhealthyMs`; the supervisor performs each rung once.

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
