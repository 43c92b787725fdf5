// What one probe's answer tells each part of the detector. A reply proves the path (the detector:
// the silence ends), feeds the RTT and loss window (quality), revives its target and counts toward
// the replies in a row a down link needs (the decision). An expiry is loss only where loss is
// meant (quality.missed), a miss for its target, an end to the replies in a row, and, for a
// resolver asked while the link otherwise answered, a DNS failure. A probe the platform sent as
// another kind (ProbeResult.sentAs: a standby's DNS probe as an ICMP echo on the device) says what
// that kind says: an echo from a resolver's host proves the path, never DNS. A query that goes
// unanswered is a DNS failure only once its resolver's host answers an echo: a host that answers
// nothing is a dead target (the operator's resolver list, not the link), and is set aside.
import type { ProbeResult } from "../ports";
import type { DeviceConfig } from "../config/config";
import type { Detector } from "./detector";
import type { LinkDecision } from "./link-state";
import type { ProbeSlot } from "./probe-slots";
import { PROBE_BYTES_IN } from "./probe-cost";
import type { Quality } from "./quality";
import type { TargetSet, TargetStatus } from "./targets";
import type { TrafficEvidence } from "./traffic-evidence";

/**
 * How long a resolver's host that answered an echo is taken to be there: its queries that fail
 * meanwhile are DNS failing without asking again. One echo per resolver per 10 minutes at most, so
 * the echoes never crowd the sockets the link's own probes need on a slow path.
 */
const HOST_KNOWN_MS = 600000;

export interface OutcomeParts {
  cfg: DeviceConfig;
  quality: Quality;
  targets: TargetSet;
  detector: Detector;
  traffic: TrafficEvidence;
  decision: LinkDecision;
  now(): number;
  /** Send the echo that asks whether a resolver's host is there at all. */
  askEcho(echo: TargetStatus): void;
  /** The next baseline probe within `ms` (a busy link's may be 20 s away). */
  lookAgainWithin(ms: number): void;
  onBytes?: (bytes: number) => void;
}

/** Hand the answer to the probe in `slot` to every part it says something to. */
export function probeAnswered(x: OutcomeParts, slot: ProbeSlot, r: ProbeResult): void {
  const t = slot.target as TargetStatus;
  if (r.ok) {
    x.traffic.ownReplies++;
    x.onBytes?.(PROBE_BYTES_IN[r.sentAs ?? t.target.kind]);
    replied(x, slot, t, r);
  } else {
    expired(x, slot, t, r);
  }
}

function replied(x: OutcomeParts, slot: ProbeSlot, t: TargetStatus, r: ProbeResult): void {
  const now = x.now();
  x.quality.replied(t.target.kind, slot.baseline, r.rttMs, now, r.sentAs);
  x.targets.answered(t, now, (r.sentAs ?? t.target.kind) === t.target.kind);
  x.decision.okStreak++;
  // The resolver's host is there, so the query it left unanswered was DNS failing.
  if (t.echoOf) dnsFailed(x, now);
  x.detector.replied(slot, now);
}

function dnsFailed(x: OutcomeParts, now: number): void {
  // Ask the resolvers again soon rather than a service round later, until DNS is judged.
  if (x.quality.dnsFailed(now)) serviceSoon(x, now);
}

/** The next service round within dnsRecheckMs (a busy link's baseline may be 20 s away). */
function serviceSoon(x: OutcomeParts, now: number): void {
  x.targets.serviceBy(now + x.cfg.probe.dnsRecheckMs);
  x.lookAgainWithin(x.cfg.probe.dnsRecheckMs);
}

function expired(x: OutcomeParts, slot: ProbeSlot, t: TargetStatus, r: ProbeResult): void {
  const kind = t.target.kind, down = x.decision.state === "down";
  x.quality.missed(kind, slot.baseline, t.dead, down, x.traffic.busy, slot.baseline && x.detector.inBurst(slot));
  x.targets.missed(t, x.now());
  // Loss enough to leave for: ask the dearer kinds soon whether they lose as much.
  if (x.quality.lossInDoubt) serviceSoon(x, x.now());
  x.decision.okStreak = 0;
  // A resolver asked while the whole link was silent says nothing about DNS; one asked otherwise
  // is a failure if its host answers an echo (asked once, then known for HOST_KNOWN_MS).
  if (kind === "dns" && (r.sentAs ?? kind) === "dns" && !down && !x.detector.sentInSilence(slot.sentAt) && t.echo) {
    const now = x.now();
    if (t.echo.answeredAt >= 0 && now - t.echo.answeredAt <= HOST_KNOWN_MS) dnsFailed(x, now);
    else x.askEcho(t.echo);
  }
  // Nor its host: a dead resolver, unless the whole link went silent meanwhile.
  if (t.echoOf && !down && !x.detector.sentInSilence(slot.sentAt)) x.targets.setAside(t.echoOf, x.now());
  x.detector.expired(slot, t);
}
