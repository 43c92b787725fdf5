// Applies the policy: keeps the active link, the time of the last switch and a flap damper per
// link; moves the default route and the probe roles; reports every switch and dampening as events.
import type { Uplinks } from "../ports";
import type { DeviceConfig } from "../config/config";
import { linkPriority } from "../config/config";
import type { LinkMonitor } from "../health/link-monitor";
import { carriesTraffic, type LinkState } from "../health/link-state";
import type { EventLog } from "../telemetry/events";
import { FlapDamper } from "./dampening";
import { decide, type Candidate, type Decision } from "./policy";

/** Stay where the pin put us: decisions of this shape change nothing. */
const PINNED_HOLD: Decision = { to: "", kind: "failover", reason: "pinned" };

/** Share of a flap penalty a stall costs. */
const STALL_WEIGHT = 0.5;

export class FailoverController {
  #active: string | null = null;
  #lastSwitchAt = -Infinity;
  #dampers = new Map<string, FlapDamper>();
  #candidates: Candidate[] = [];
  #noUplinkReported = false;

  #pinned: string | null = null;
  #pinnedUntil = 0;
  readonly #bootAt: number;
  /** The degraded spell of the active link for which candidates were last asked to prove DNS. */
  #dnsAskedFor = -1;

  constructor(
    private readonly cfg: DeviceConfig,
    private readonly monitors: readonly LinkMonitor[],
    private readonly uplinks: Uplinks,
    private readonly events: EventLog,
    private readonly now: () => number,
    /** Carried over from the controller this one replaces (config change). */
    seed?: { active: string | null; lastSwitchAt: number; dampers: Map<string, FlapDamper> },
  ) {
    this.#bootAt = now();
    if (seed) {
      this.#active = seed.active;
      this.#lastSwitchAt = seed.lastSwitchAt;
      this.#dampers = seed.dampers;
      // The monitors are new too: the one carrying traffic must be probed at the active rate.
      for (const m of monitors) m.setRole(m.link === seed.active ? "active" : "standby");
    }
    for (const m of monitors) {
      if (!this.#dampers.has(m.link)) this.#dampers.set(m.link, new FlapDamper(cfg.failover.dampening));
      this.#candidates.push({
        name: m.link, priority: linkPriority(cfg, m.link), enabled: cfg.links[m.link]?.enabled ?? true,
        state: m.state, transition: "boot", since: m.since, srttMs: 0, lossPct: 0, lossSamples: 0, dnsOkAt: -Infinity, dnsFailAt: -Infinity, suppressed: false,
        returning: false,
      });
    }
  }

  get active(): string | null { return this.#active; }
  get lastSwitchAt(): number { return this.#lastSwitchAt; }
  get dampers(): Map<string, FlapDamper> { return this.#dampers; }

  /** Operator override: carry traffic on `link` for `holdMs` while it is usable (0 releases). */
  pin(link: string, holdMs: number): string | null {
    if (holdMs === 0) {
      this.#pinned = null;
      this.evaluate();
      return null;
    }
    const m = this.monitors.find((x) => x.link === link);
    if (!m || !carriesTraffic(m.state)) return `/link: '${link}' is ${m ? m.state : "unknown"}, not usable`;
    this.#pinned = link;
    this.#pinnedUntil = this.now() + holdMs;
    this.evaluate();
    return null;
  }

  /**
   * A monitor changed state: dampen flaps, then decide at once. A loss counts as a flap when the
   * link goes down, and when the link carrying traffic degrades: a link that keeps failing
   * either way is left alone for a while instead of followed.
   */
  linkChanged(link: string, from: LinkState, to: LinkState, transition: string): void {
    const c = this.#candidates.find((x) => x.name === link);
    if (c) c.transition = transition;
    const lost = to === "down" ? carriesTraffic(from) : to === "degraded" && from === "up" && link === this.#active;
    if (lost) {
      const d = this.#dampers.get(link) as FlapDamper;
      const now = this.now();
      if (d.flap(now)) {
        this.events.emit({ type: "dampened", link, penalty: Math.round(d.penalty(now)), reuseInMs: d.reuseAt(now) - now });
      }
    }
    this.evaluate();
  }

  /**
   * The active link stalled for `ms` and came back before it was called down. A stall users notice
   * (longer than the shortest gap tolerance) costs half a flap: a link that keeps stalling is not the one
   * to go back to, even if no stall was long enough to leave it.
   */
  linkStalled(link: string, ms: number): void {
    // Only the users' link: a standby's stalls cost nobody anything.
    if (ms < this.cfg.health.silenceMinMs || link !== this.#active) return;
    const d = this.#dampers.get(link) as FlapDamper;
    const now = this.now();
    if (d.flap(now, STALL_WEIGHT)) {
      this.events.emit({ type: "dampened", link, penalty: Math.round(d.penalty(now)), reuseInMs: d.reuseAt(now) - now });
    }
  }

  /**
   * A down link answered again (`returning`), or its confirmation failed. With no uplink working,
   * one link answering says the outage upstream may be over for the others too: they are probed
   * now rather than at their next down interval, so the better tier can be confirmed first.
   */
  linkReturning(link: string, returning: boolean): void {
    if (returning && !this.healthy()) {
      for (const m of this.monitors) if (m.link !== link && m.state === "down") m.reprobe();
    }
    this.evaluate();
  }

  /** Runs on every state change and on the watchdog tick (hold-downs expire with time). */
  evaluate(): void {
    const now = this.now();
    for (let i = 0; i < this.monitors.length; i++) {
      const m = this.monitors[i], c = this.#candidates[i];
      c.state = m.state;
      c.since = m.since;
      c.srttMs = m.srttMs;
      c.lossPct = m.lossPct;
      c.lossSamples = m.lossSamples;
      c.dnsOkAt = m.dnsOkAt;
      c.dnsFailAt = m.dnsFailAt;
      c.suppressed = (this.#dampers.get(m.link) as FlapDamper).suppressed(now);
      c.returning = m.state === "down" && m.phase === "confirming";
    }
    this.#askForDnsProof();
    const d = this.#pinnedDecision(now) ??
      decide(now, this.#active, this.#lastSwitchAt, this.#candidates, this.cfg.failover, this.cfg.health, this.#bootAt);
    if (d === PINNED_HOLD) return;
    if (d === null) {
      this.#reportNoUplink();
      return;
    }
    this.#noUplinkReported = false;
    const from = this.#active;
    this.#active = d.to;
    this.#lastSwitchAt = now;
    // A standby the router would rather use (a failback candidate) is watched as closely as the
    // active link: a gap it hides until traffic moves back to it would cost a switch there.
    const activePriority = linkPriority(this.cfg, d.to);
    for (const m of this.monitors) {
      m.setRole(m.link === d.to ? "active" : linkPriority(this.cfg, m.link) < activePriority ? "preferred" : "standby");
    }
    this.uplinks.setDefault(d.to);
    this.events.emit({ type: d.kind, from, to: d.to, reason: d.reason });
  }

  /** Before leaving a link whose DNS broke, the others must show theirs works now, not minutes ago. */
  #askForDnsProof(): void {
    let cur: Candidate | null = null;
    const cs = this.#candidates;
    for (let i = 0; i < cs.length; i++) if (cs[i].name === this.#active) cur = cs[i];
    if (!cur || cur.state !== "degraded" || cur.transition !== "quality-dns" || this.#dnsAskedFor === cur.since) return;
    this.#dnsAskedFor = cur.since;
    for (const m of this.monitors) if (m.link !== cur.name) m.verifyDns();
  }

  /** A live pin wins over the policy while its link is usable; then the policy takes over again. */
  #pinnedDecision(now: number): Decision | null {
    if (this.#pinned === null) return null;
    const c = this.#candidates.find((x) => x.name === this.#pinned);
    if (now >= this.#pinnedUntil || !c || !carriesTraffic(c.state)) {
      this.#pinned = null;
      return null;
    }
    return c.name === this.#active ? PINNED_HOLD : { to: c.name, kind: "failover", reason: "manual" };
  }

  /** True while the router has a link it can use. */
  healthy(): boolean {
    const cs = this.#candidates;
    for (let i = 0; i < cs.length; i++) if (cs[i].name === this.#active) return carriesTraffic(cs[i].state);
    return false;
  }

  #reportNoUplink(): void {
    if (this.healthy() || this.#noUplinkReported || this.#active === null && this.monitors.some((m) => m.state === "unknown")) return;
    this.#noUplinkReported = true;
    this.events.emit({ type: "no-uplink", link: this.#active });
  }
}
