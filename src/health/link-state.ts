// Link state machine. One handler per state; every transition has a name, reported as the reason.
// Inputs are facts the link monitor gathered; the machine itself holds no timers, so it is a pure
// function of (state, facts) and can be tested exhaustively.

export type LinkState = "unknown" | "up" | "degraded" | "down";

/** A link in this state still forwards traffic (degraded included). */
export function carriesTraffic(state: LinkState): boolean {
  return state === "up" || state === "degraded";
}

/** Why a link is not fully healthy, as seen by the probes. */
export type QualityIssue = "loss" | "rtt" | "dns" | null;

export interface LinkFacts {
  now: number;
  carrier: boolean;
  /** Every target stayed silent for the configured number of fast rounds. */
  silent: boolean;
  /** Consecutive answered probes since the last miss. */
  okStreak: number;
  /** Degradation currently measured (with entry thresholds). */
  issue: QualityIssue;
  /** Degradation still present by the (looser) exit thresholds: hysteresis. */
  issueLingers: boolean;
  /** When the exit thresholds were last violated (for the recovery hold). */
  lastIssueAt: number;
}

export interface LinkStateLimits {
  upSuccesses: number;
  recoverMs: number;
}

export type Transition =
  | "first-reply" | "carrier-lost" | "no-reply" | "recovered" | "recovered-degraded"
  | "quality-loss" | "quality-rtt" | "quality-dns" | "quality-restored";

export interface Step { to: LinkState; transition: Transition }

type Handler = (f: LinkFacts, l: LinkStateLimits) => Step | null;

function lost(f: LinkFacts): Step | null {
  if (!f.carrier) return { to: "down", transition: "carrier-lost" };
  if (f.silent) return { to: "down", transition: "no-reply" };
  return null;
}

function degrade(f: LinkFacts): Step | null {
  return f.issue ? { to: "degraded", transition: ("quality-" + f.issue) as Transition } : null;
}

const handlers: Record<LinkState, Handler> = {
  unknown: (f) => lost(f) ?? (f.okStreak > 0 ? { to: "up", transition: "first-reply" } : null),
  up: (f) => lost(f) ?? degrade(f),
  degraded: (f, l) => lost(f) ??
    (!f.issueLingers && f.now - f.lastIssueAt >= l.recoverMs ? { to: "up", transition: "quality-restored" } : null),
  down: (f, l) => {
    if (!f.carrier || f.okStreak < l.upSuccesses) return null;
    return f.issue ? { to: "degraded", transition: "recovered-degraded" } : { to: "up", transition: "recovered" };
  },
};

export function nextLinkState(state: LinkState, facts: LinkFacts, limits: LinkStateLimits): Step | null {
  return handlers[state](facts, limits);
}
