// Which uplink should carry traffic. A pure function of the candidates' health and the switch
// history, so every rule can be tested by table. Rules, in order:
//  1. the active link is down or disabled: move now to the best usable link (no dwell, no hold-down),
//     unless the active link answers again (it is being confirmed) and the best usable one is of a
//     worse tier and came up less than RETURNING_WAIT_MS ago: then wait for it, as when every
//     uplink's outage ends at once the backup is often confirmed a moment first, and following it
//     costs a failover and a failback for nothing;
//  2. the active link is degraded and the config says so: move to the best link that is up and
//     shown free of the same fault (like with like: a DNS fault the backup shares, or loss the
//     backup has too, is no reason to move);
//  3. a link of a better priority tier has been up for the failback hold-down and is not dampened:
//     move back to it;
// voluntary moves (2, 3) wait out the minimum dwell since the last switch. The first choice after
// boot waits up to `bootWaitMs` for the preferred tier to answer instead of taking whichever link
// answered first.
import { carriesTraffic, type LinkState } from "../health/link-state";
import type { SwitchKind } from "../telemetry/events";

export interface Candidate {
  name: string;
  priority: number;
  enabled: boolean;
  state: LinkState;
  /** Name of the transition into the current state (carrier-lost, no-reply, quality-dns...). */
  transition: string;
  /** When the link entered its current state. */
  since: number;
  srttMs: number;
  lossPct: number;
  /** Baseline outcomes behind lossPct. */
  lossSamples: number;
  /** When a DNS probe last succeeded, and last failed, over this link. */
  dnsOkAt: number;
  dnsFailAt: number;
  suppressed: boolean;
  /** Down, but answering again: being confirmed before it is called up. */
  returning: boolean;
}

export interface PolicyRules {
  onDegraded: "failover" | "stay";
  failbackHoldMs: number;
  minDwellMs: number;
  bootWaitMs: number;
}

/** What a candidate must show before traffic leaves a degraded link for it. */
export interface QualityBar {
  lossRecoveredPct: number;
  rttRecoveredMs: number;
}

export type { SwitchKind };

export interface Decision {
  to: string;
  kind: SwitchKind;
  reason: string;
}

const usable = (c: Candidate) => c.enabled && carriesTraffic(c.state);

/** Longest a link of a worse tier, just up, waits for the active link that answers again. */
export const RETURNING_WAIT_MS = 1000;

/** Better first: tier, then up over degraded, then loss, then RTT, then name for a stable order. */
export function rank(a: Candidate, b: Candidate): number {
  return a.priority - b.priority ||
    (a.state === "up" ? 0 : 1) - (b.state === "up" ? 0 : 1) ||
    a.lossPct - b.lossPct ||
    a.srttMs - b.srttMs ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function best(cs: readonly Candidate[], ok: (c: Candidate) => boolean): Candidate | null {
  let top: Candidate | null = null;
  for (const c of cs) if (ok(c) && (top === null || rank(c, top) < 0)) top = c;
  return top;
}

/** Prefer links that are not dampened; a dampened link still beats having none. */
function bestUsable(cs: readonly Candidate[], except: string | null): Candidate | null {
  return best(cs, (c) => c.name !== except && usable(c) && !c.suppressed) ??
    best(cs, (c) => c.name !== except && usable(c));
}

/** Free of the fault `cur` suffers from, by the same measure. */
export function freeOf(cur: Candidate, c: Candidate, q: QualityBar): boolean {
  switch (cur.transition) {
    // The candidate answered DNS since the fault began, and the current link still failed after
    // that: a fault that has just ended everywhere is no reason to move.
    case "quality-dns": return c.dnsOkAt >= cur.since && cur.dnsFailAt >= c.dnsOkAt;
    case "quality-loss": return c.lossSamples > 0 && c.lossPct < q.lossRecoveredPct;
    case "quality-rtt": return c.srttMs < q.rttRecoveredMs;
    default: return true;
  }
}

/** The first choice: the preferred tier if it answers, or whatever answers once the wait is over. */
function initial(now: number, bootAt: number, cs: readonly Candidate[], r: PolicyRules): Decision | null {
  const b = bestUsable(cs, null);
  if (b === null) return null;
  let preferred: Candidate | null = null;
  for (const c of cs) if (c.enabled && c.state !== "down" && (preferred === null || c.priority < preferred.priority)) preferred = c;
  const waiting = preferred !== null && preferred.priority < b.priority && preferred.state === "unknown";
  if (waiting && now - bootAt < r.bootWaitMs) return null;
  return { to: b.name, kind: "initial", reason: "boot" };
}

export function decide(now: number, active: string | null, lastSwitchAt: number,
  cs: readonly Candidate[], r: PolicyRules, q: QualityBar, bootAt = 0): Decision | null {
  // Runs on every watchdog tick: plain loops, no closures allocated on the common path.
  let cur: Candidate | null = null;
  for (let i = 0; i < cs.length; i++) if (cs[i].name === active) cur = cs[i];
  if (cur === null) return initial(now, bootAt, cs, r);
  if (!usable(cur)) {
    const b = bestUsable(cs, cur.name);
    if (b && cur.enabled && cur.returning && b.priority > cur.priority && now - b.since < RETURNING_WAIT_MS) return null;
    return b ? { to: b.name, kind: "failover", reason: cur.enabled ? cur.transition : "disabled" } : null;
  }
  if (now - lastSwitchAt < r.minDwellMs) return null;
  if (cur.state === "degraded" && r.onDegraded === "failover") {
    const from = cur;
    const b = best(cs, (c) => c !== from && c.enabled && c.state === "up" && !c.suppressed && freeOf(from, c, q));
    if (b) return { to: b.name, kind: "failover", reason: cur.transition };
  }
  let back: Candidate | null = null;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i];
    if (!c.enabled || c.state !== "up" || c.suppressed || c.priority >= cur.priority || now - c.since < r.failbackHoldMs) continue;
    if (back === null || rank(c, back) < 0) back = c;
  }
  return back ? { to: back.name, kind: "failback", reason: "preferred-stable" } : null;
}
