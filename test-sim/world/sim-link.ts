// One simulated uplink: its nominal path figures and the faults currently applied to it.
import type { LinkKind } from "../../src/ports";
import type { Rng } from "./random";

export interface LinkSpec {
  name: string;
  kind: LinkKind;
  priority: number;
  rttMs: number;
  jitterMs: number;
  loss: number;
}

/** A device config with the links' priorities filled in: a scenario's link list is device config too. */
export function withLinkPriorities(config: Record<string, unknown>, links: readonly { name: string; priority: number }[]): Record<string, unknown> {
  const given = (config.links ?? {}) as Record<string, Record<string, unknown>>;
  const merged: Record<string, unknown> = {};
  for (const l of links) merged[l.name] = { priority: l.priority, ...given[l.name] };
  return { ...config, links: { ...given, ...merged } };
}

export class SimLink {
  readonly name: string;
  readonly kind: LinkKind;
  rttMs: number;
  jitterMs: number;
  loss: number;
  /** Carrier is the AND of every reason it may be missing. */
  cableOut = false;
  flapDown = false;
  resetting = false;
  blackhole = false;
  /** A modem that stopped forwarding until it is reset. */
  wedged = false;
  dnsFail = false;
  /** The prober swallows probes on this link and never answers (a platform bug). */
  stall = false;
  deadTargets = new Set<string>();
  /** Ground truth for scoring: a fault (other than a dead target) is in force. */
  faulty = false;
  probeBytes = 0;
  probes = 0;

  constructor(readonly spec: LinkSpec, readonly rng: Rng) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.rttMs = spec.rttMs;
    this.jitterMs = spec.jitterMs;
    this.loss = spec.loss;
  }

  get carrier(): boolean {
    return !this.cableOut && !this.flapDown && !this.resetting;
  }

  /** Packets get through in both directions. */
  get passes(): boolean {
    return this.carrier && !this.blackhole && !this.wedged;
  }

  restore(): void {
    this.cableOut = this.flapDown = this.blackhole = this.wedged = this.dnsFail = this.stall = false;
    this.rttMs = this.spec.rttMs;
    this.jitterMs = this.spec.jitterMs;
    this.loss = this.spec.loss;
    this.deadTargets.clear();
    this.faulty = false;
  }

  /** One sample of round-trip time for a packet exchange. */
  sampleRtt(): number {
    return this.rttMs + this.rng.exp(this.jitterMs);
  }
}
