// Probing of one uplink, and the evidence its state is decided on. This file only wires the parts:
//
//   cadence.ts      when to look (the only timers): baseline, fast, silence watch, traffic poll
//   targets.ts      whom to ask: cheapest live kind for liveness, service rounds, dead targets
//   probe-slots.ts  the probes in flight, in slots allocated once
//   detector.ts     is the link silent: phases watching / suspect / down / confirming (silence.ts)
//   quality.ts      how good it is: loss, RTT, DNS, with hysteresis
//   traffic-evidence.ts  users' packets: arrivals prove the path, waiting makes it suspect
//   link-state.ts   the decision: up / degraded / down, and why
import type { Clock, Prober, ProbeResult, Traffic } from "../ports";
import type { DeviceConfig } from "../config/config";
import { Cadence, baselineIntervalMs } from "./cadence";
import { Detector } from "./detector";
import { PathEstimator } from "./estimator";
import { GapTolerance } from "./gap-tolerance";
import { LinkDecision, type LinkState, type Step } from "./link-state";
import { ProbeSlots, STUCK, type ProbeSlot } from "./probe-slots";
import { Quality } from "./quality";
import type { SocketBudget } from "./socket-budget";
import { TargetSet, type TargetStatus } from "./targets";
import { TrafficEvidence } from "./traffic-evidence";
import { PROBE_BYTES_OUT } from "./probe-cost";
import { probeAnswered, type OutcomeParts } from "./probe-outcome";

/** Carries the traffic; a standby the router would rather use (failback candidate); any other standby. */
export type LinkRole = "active" | "preferred" | "standby";

export interface LinkMonitorOptions {
  link: string;
  cfg: DeviceConfig;
  clock: Clock;
  prober: Prober;
  budget: SocketBudget;
  traffic: Traffic;
  carrier: boolean;
  /** Stretch factor (>= 1) for baseline intervals: the link's data budget keeping pace. */
  pace?: () => number;
  /** Bytes this monitor put on the link (probes and their replies), for the data budget. */
  onBytes?: (bytes: number) => void;
  /** What an earlier monitor of this link knew (a config change rebuilds the monitors). */
  seed?: { state: LinkState; since: number; gaps: GapTolerance };
  onStep: (monitor: LinkMonitor, from: LinkState, step: Step) => void;
  /** A silence the link came back from before it was called down (users saw it stall that long). */
  onStall?: (monitor: LinkMonitor, ms: number) => void;
  /** A down link answered again and is being confirmed (true), or a probe went unanswered in that (false). */
  onReturning?: (monitor: LinkMonitor, returning: boolean) => void;
}

export class LinkMonitor {
  readonly link: string;
  readonly gaps: GapTolerance;
  #o: LinkMonitorOptions;
  #est: PathEstimator;
  #targets: TargetSet;
  #slots: ProbeSlots;
  #cadence: Cadence;
  #det: Detector;
  #quality: Quality;
  #traffic: TrafficEvidence;
  #outcome: OutcomeParts;
  #d: LinkDecision;
  #role: LinkRole = "standby";
  #carrier: boolean;
  #stopped = false;
  /** Probes the platform answered (the supervisor watches this move). */
  completed = 0;

  constructor(o: LinkMonitorOptions) {
    this.#o = o;
    this.link = o.link;
    this.#carrier = o.carrier;
    const h = o.cfg.health;
    this.#est = new PathEstimator(h.lossWindow);
    this.gaps = o.seed?.gaps ?? new GapTolerance({ floorMs: h.silenceMinMs, capMs: h.silenceMaxMs, memoryMs: h.gapMemoryMs });
    this.#targets = new TargetSet(o.cfg.targets, o.cfg.probe);
    this.#quality = new Quality(h, this.#est, this.#targets.has("dns"), () => this.#targets.hasDearer);
    this.#slots = new ProbeSlots(slotCount(o.cfg.probe), o.link, o.prober, o.budget, (s, r) => this.#finish(s, r));
    this.#cadence = new Cadence(o.clock, {
      baseline: () => this.#tick(), fast: () => this.#fastTick(), poll: () => this.#traffic.poll(o.clock.now()),
      watch: () => { if (this.#carrier && !this.#stopped && this.#d.state !== "down") this.#det.watchDue(o.clock.now()); },
    });
    const seeded = o.seed && o.carrier ? o.seed : null;
    this.#d = new LinkDecision({ upSuccesses: o.cfg.probe.upSuccesses, recoverMs: h.recoverMs },
      seeded ? seeded.state : "unknown", seeded ? seeded.since : o.clock.now());
    this.#det = new Detector({
      cfg: o.cfg, est: this.#est, gaps: this.gaps, slots: this.#slots, targets: this.#targets, cadence: this.#cadence,
      now: () => o.clock.now(), startFast: () => this.#startFast(), decide: () => this.#evaluate(),
      stalled: (ms) => {
        this.gaps.recovered(o.clock.now(), ms);
        o.onStall?.(this, ms);
      },
      changed: (from, to) => {
        if (to === "confirming" || (from === "confirming" && to === "down")) o.onReturning?.(this, to === "confirming");
      },
    }, this.#d.state === "down");
    this.#traffic = new TrafficEvidence(o.traffic, o.link, {
      cfg: o.cfg, est: this.#est, cadence: this.#cadence, detector: this.#det,
      active: () => this.#role === "active", interval: () => this.#interval(),
      judging: () => this.#d.state !== "down" && this.#carrier && !this.#stopped,
    });
    this.#outcome = { cfg: o.cfg, quality: this.#quality, targets: this.#targets, detector: this.#det, traffic: this.#traffic,
      decision: this.#d, now: () => o.clock.now(), onBytes: o.onBytes,
      askEcho: (echo) => { if (this.#carrier && !this.#stopped) this.#request(false, echo, false); },
      lookAgainWithin: (ms) => { if (this.#cadence.nextAt > o.clock.now() + ms) this.#cadence.baselineIn(ms); } };
  }

  get state(): LinkState { return this.#d.state; }
  /** Time of the last state change. */
  get since(): number { return this.#d.since; }
  get role(): LinkRole { return this.#role; }
  get carrier(): boolean { return this.#carrier; }
  get srttMs(): number { return this.#est.srttMs; }
  get jitterMs(): number { return this.#est.jitterMs; }
  get lossPct(): number { return this.#est.lossPct; }
  get lossSamples(): number { return this.#est.samples; }
  /** When a DNS probe last succeeded / failed on this link. */
  get dnsOkAt(): number { return this.#quality.dnsOkAt; }
  get dnsFailAt(): number { return this.#quality.dnsFailAt; }
  /** Users' packets per second arriving over this link (0 unless it carries their traffic). */
  get rxPps(): number { return this.#traffic.rxPps; }
  /** Users' traffic proves the link: probing has slowed down (once the path's RTT is known well). */
  get busy(): boolean { return this.#traffic.busy; }
  get deadTargets(): number { return this.#targets.deadCount; }
  /** The detector's phase: watching, suspect, down or confirming. */
  get phase(): string { return this.#det.phase; }

  /** How long this link may now stay silent before it is down. */
  toleranceMs(): number { return this.#det.silence.toleranceMs(this.#o.clock.now()); }

  start(): void {
    if (this.#carrier) this.#cadence.baselineIn(0);
    else this.#evaluate();
  }

  stop(): void {
    this.#stopped = true;
    this.#cadence.stopAll();
    this.#slots.abandonAll();
  }

  setRole(role: LinkRole): void {
    if (role === this.#role) return;
    this.#role = role;
    if (role !== "active") this.#traffic.idle();
    // Becoming active must not wait out a long standby interval.
    const due = this.#o.clock.now() + this.#interval();
    if (this.#cadence.baselineArmed && this.#cadence.nextAt > due) this.#cadence.baselineIn(this.#interval());
  }

  setCarrier(up: boolean): void {
    if (up === this.#carrier) return;
    this.#carrier = up;
    this.#d.okStreak = 0;
    if (!up) {
      this.#cadence.cancelBaseline();
      this.#traffic.idle();
      this.#cadence.stopFast();
      this.#slots.abandonAll();
      this.#det.carrierLost();
      this.#evaluate();
    } else {
      this.#cadence.baselineIn(0);
    }
  }

  /** Watchdog escalation or the fleet: look again now, fast, instead of waiting for the interval. */
  reprobe(): void {
    if (!this.#carrier || this.#stopped) return;
    if (this.#d.state === "down") this.#cadence.baselineIn(0);
    else this.#det.reprobe();
  }

  /** Ask every DNS target now: the policy wants fresh proof before moving for a DNS fault. */
  verifyDns(): void {
    if (!this.#carrier || this.#stopped || this.#d.state === "down") return;
    for (const t of this.#targets.list) {
      if (t.target.kind !== "dns" || t.dead) continue;
      this.#request(false, t, false);
    }
  }

  /** Abandon probes the platform never answered; returns how many. */
  abandonStuck(now: number, graceMs: number): number { return this.#slots.abandonStuck(now, graceMs); }

  // ---- cadence ----

  #interval(): number {
    return baselineIntervalMs(this.#o.cfg.probe, this.#o.cfg.health.lossRecoveredPct, {
      down: this.#d.state === "down", standby: this.#role === "standby", busy: this.busy, suspect: this.#det.phase === "suspect",
      lossPct: this.#est.lossPct, pace: this.#o.pace,
    });
  }

  #tick(): void {
    if (!this.#carrier || this.#stopped) return;
    if (this.#role === "active") this.#traffic.poll(this.#o.clock.now());
    this.#cadence.baselineIn(this.#interval());
    // Fast probing already says more than a baseline probe would; a probe still queued for a
    // socket or every slot busy (a dead link's probes wait long) means this one would only queue.
    if (this.#cadence.fastRunning || this.#slots.pending > 0 || this.#slots.busyCount() === this.#slots.size) return;
    const q = this.#quality;
    const t = this.#targets.baseline(this.#o.clock.now(), q.dnsInDoubt ? "dns" : q.lossInDoubt ? "dearer" : null);
    this.#request(this.#role === "active", t, true);
  }

  #startFast(): void {
    if (this.#cadence.fastRunning || !this.#carrier || this.#stopped) return;
    this.#cadence.startFast(this.#o.cfg.probe.fastIntervalMs);
    this.#fastTick();
  }

  #fastTick(): void {
    if (!this.#det.fast || !this.#carrier || this.#stopped) return this.#cadence.stopFast();
    if (this.#slots.full || this.#slots.busyCount() >= this.#det.fastInFlight) return;
    // Every probe socket taken: an echo, which needs none, rather than a probe queued behind them.
    const t = this.#o.budget.free > 0 ? this.#targets.fast() : this.#targets.fastEcho();
    if (!t) return;
    this.#request(true, t, false);
  }

  #request(urgent: boolean, t: TargetStatus, baseline: boolean): void {
    this.#slots.request(urgent, t.target.kind === "icmp", (socket) => this.#send(t, baseline, socket));
  }

  #send(t: TargetStatus, baseline: boolean, socket: boolean): void {
    const slot = this.#slots.free();
    if (!slot || !this.#carrier || this.#stopped) {
      // Carrier went away (or the slots filled) while we queued for a socket.
      this.#slots.unused(socket);
      return;
    }
    const now = this.#o.clock.now(), down = this.#d.state === "down";
    this.#slots.send(slot, t, baseline, now, this.#det.silence.probeTimeoutMs(now, down), socket);
    if (!down) this.#det.sent(now);
    this.#o.onBytes?.(PROBE_BYTES_OUT[t.target.kind]);
    this.#slots.launch(slot);
  }

  #finish(slot: ProbeSlot, r: ProbeResult): void {
    if (r !== STUCK) this.completed++;
    probeAnswered(this.#outcome, slot, r);
    this.#evaluate();
  }

  // ---- the decision ----

  #evaluate(): void {
    const from = this.#d.state;
    const step = this.#d.next(this.#o.clock.now(), this.#carrier, this.#det.evidence, this.#quality);
    if (!step) return;
    if (step.to === "down") {
      this.#traffic.idle();
      this.#quality.reset();
      this.#det.enteredDown();
    } else if (from === "down") {
      this.#det.leftDown();
    }
    // Down or back: the baseline cadence changes at once (downIntervalMs).
    if ((step.to === "down" || from === "down") && this.#carrier && !this.#stopped) this.#cadence.baselineIn(this.#interval());
    this.#o.onStep(this, from, step);
  }
}

/** Slots a link needs: its echoes in flight, or the probe sockets when those are more. */
function slotCount(p: DeviceConfig["probe"]): number {
  return p.echoesInFlight > p.maxInFlight ? p.echoesInFlight : p.maxInFlight;
}
