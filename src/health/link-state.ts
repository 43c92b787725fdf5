// How it decides: the state of one uplink, from the facts its monitor gathered. One handler per
// state; every transition has a name, reported as the reason of the link-state event.
//
//   down       the carrier is gone ("carrier-lost"), or the link is silent ("no-reply"): nothing
//              came back from it, probes or users' packets, for longer than its gap tolerance, with
//              enough probes to more than one target overdue that chance loss cannot explain it
//              (detector.ts decides silence, and hands over its evidence with the down).
//   up         the first reply of a new link ("first-reply"); a down link needs upSuccesses
//              replies in a row ("recovered", or "recovered-degraded" if quality is poor by then).
//   degraded   it forwards, but badly ("quality-loss", "quality-rtt", "quality-dns"; quality.ts
//              measures them by entry thresholds); it is up again only once no issue lingers by
//              the looser exit thresholds and recoverMs has passed since one did
//              ("quality-restored"). Quality never makes a link down.
//
// The machine holds no timers: it is a pure function of (state, facts), tested exhaustively.

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
  /**
   * The link is silent: nothing came back for longer than its tolerance, and enough probes to
   * enough targets are overdue (detector.ts).
   */
  silent: boolean;
  /** What made it silent, carried on the "no-reply" step. */
  evidence?: DownEvidence;
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

/** Why the detector called a link silent. */
export interface DownEvidence {
  /** From the first unanswered probe (or the users' last arrival) to the verdict. */
  silentMs: number;
  /** How long this link was allowed to be silent (its learned gap tolerance). */
  toleranceMs: number;
  /** Probes overdue in the silence, and the targets they went to. */
  overdue: number;
  targets: number;
  /** What dated the silence: an unanswered probe, or users' packets going unanswered. */
  datedBy: "probe" | "traffic";
}

export interface Step {
  to: LinkState;
  transition: Transition;
  /** On "no-reply": the evidence of the silence. */
  evidence?: DownEvidence;
}

type Handler = (f: LinkFacts, l: LinkStateLimits) => Step | null;

function lost(f: LinkFacts): Step | null {
  if (!f.carrier) return { to: "down", transition: "carrier-lost" };
  if (f.silent) return f.evidence ? { to: "down", transition: "no-reply", evidence: { ...f.evidence } } : { to: "down", transition: "no-reply" };
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

/** What the decision reads of a link's quality (quality.ts). */
export interface QualityView {
  /** Whether an issue lingers by the exit thresholds (and when one last did: lastIssueAt). */
  lingers(now: number): boolean;
  /** The issue measured now, by the entry thresholds. */
  issue(now: number): QualityIssue;
  readonly lastIssueAt: number;
}

/** One link's decision as it stands: its state, since when, and the replies in a row behind it. */
export class LinkDecision {
  state: LinkState;
  since: number;
  /** Consecutive answered probes since the last miss (none count across a down). */
  okStreak = 0;
  #limits: LinkStateLimits;

  constructor(limits: LinkStateLimits, state: LinkState, since: number) {
    this.#limits = limits;
    this.state = state;
    this.since = since;
  }

  /** Take the step the facts call for now, if any. */
  next(now: number, carrier: boolean, evidence: DownEvidence | null, q: QualityView): Step | null {
    const lingers = q.lingers(now);
    const step = nextLinkState(this.state, {
      now, carrier, silent: evidence !== null, evidence: evidence ?? undefined, okStreak: this.okStreak,
      issue: q.issue(now), issueLingers: lingers, lastIssueAt: q.lastIssueAt,
    }, this.#limits);
    if (!step) return null;
    this.state = step.to;
    this.since = now;
    if (step.to === "down") this.okStreak = 0;
    return step;
  }
}
