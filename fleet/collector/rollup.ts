// Heartbeats summed per router, link and minute in memory. A minute's sums are handed out once the
// minute is over (plus a grace for late arrivals), so each collector writes each router-link-minute
// row about once instead of once per heartbeat; what the newest heartbeat of each router said is
// handed out at every flush (the router's row: last heartbeat, active link). Sums (not means), so a
// write adds to what another collector wrote for the same minute. Keys are bounded: the caller
// stops adding when `size` reaches its limit and counts what it drops; and one router gets at most
// `maxLinksPerMinute` link names a minute (the firmware has a few links, so a router inventing new
// names fills only its own allowance, not the batch every router shares, nor link_minutes).
import type { Heartbeat } from "./decode";

export interface LinkMinute {
  router: string; link: string; minute: number;
  samples: number; rttSum: number; rttMax: number; lossSum: number; lossMax: number; jitterSum: number;
  up: number; degraded: number; down: number; active: number;
}

/** What the newest heartbeat of a router (in this batch) said. */
export interface RouterSeen {
  router: string;
  lastAt: number;
  epoch: number;
  /** The boot's random id, null from firmware without one. */
  bootId: string | null;
  uptimeMs: number;
  active: string | null;
  primary: string | null;
  configVersion: number;
  /** Earliest receive time minus uptime within `epoch`: the boot's clock zero as wall time. */
  clockZeroAt: number;
}

export class MinuteRollups {
  #minutes = new Map<string, LinkMinute>();
  #routers = new Map<string, RouterSeen>();
  /** Heartbeats per minute not yet handed out, by minute start. */
  #perMinute = new Map<number, number>();
  heartbeats = 0;
  /** Receive time of the oldest heartbeat whose router row is not yet taken (for the lag figure). */
  oldestAt: number | null = null;

  /** Link names seen per router in its current minute. */
  #names = new Map<string, { minute: number; names: Set<string> }>();

  constructor(private readonly graceMs = 5000, readonly maxLinksPerMinute = 16) {}

  get size(): number { return this.#minutes.size + this.#routers.size; }

  /** Returns how many of the heartbeat's links were left out (over the router's link names this minute). */
  add(router: string, hb: Heartbeat, receivedAt: number): number {
    this.heartbeats++;
    if (this.oldestAt === null) this.oldestAt = receivedAt;
    const minute = receivedAt - (receivedAt % 60000);
    this.#perMinute.set(minute, (this.#perMinute.get(minute) ?? 0) + 1);
    let seen = this.#names.get(router);
    if (!seen || seen.minute < minute) { seen = { minute, names: new Set() }; this.#names.set(router, seen); }
    let left = 0;
    for (const l of hb.links) {
      if (!seen.names.has(l.name)) {
        if (seen.names.size >= this.maxLinksPerMinute) { left++; continue; }
        seen.names.add(l.name);
      }
      const key = router + "\0" + l.name + "\0" + minute;
      let m = this.#minutes.get(key);
      if (!m) {
        m = { router, link: l.name, minute, samples: 0, rttSum: 0, rttMax: 0, lossSum: 0, lossMax: 0, jitterSum: 0, up: 0, degraded: 0, down: 0, active: 0 };
        this.#minutes.set(key, m);
      }
      m.samples++;
      m.rttSum += l.rttMs;
      m.rttMax = Math.max(m.rttMax, l.rttMs);
      m.lossSum += l.lossPct;
      m.lossMax = Math.max(m.lossMax, l.lossPct);
      m.jitterSum += l.jitterMs;
      if (l.state === "up") m.up++;
      else if (l.state === "degraded") m.degraded++;
      else if (l.state === "down") m.down++;
      if (l.name === hb.active) m.active++;
    }
    const zero = receivedAt - hb.uptimeMs;
    const r = this.#routers.get(router);
    if (!r) {
      this.#routers.set(router, { router, lastAt: receivedAt, epoch: hb.epoch, bootId: hb.bootId ?? null, uptimeMs: hb.uptimeMs, active: hb.active,
        primary: hb.links[0]?.name ?? null, configVersion: hb.configVersion, clockZeroAt: zero });
      return left;
    }
    r.lastAt = Math.max(r.lastAt, receivedAt);
    const bootId = hb.bootId ?? null;
    // Another boot id: the epoch may have started over (an erased store), so the boot that started
    // later is the newer one.
    const sameBoot = bootId === r.bootId;
    if (sameBoot ? hb.epoch > r.epoch || (hb.epoch === r.epoch && hb.uptimeMs >= r.uptimeMs) : zero > r.clockZeroAt) {
      if (!sameBoot || hb.epoch !== r.epoch) r.clockZeroAt = zero;
      r.bootId = bootId;
      r.epoch = hb.epoch;
      r.uptimeMs = hb.uptimeMs;
      r.active = hb.active;
      r.primary = hb.links[0]?.name ?? null;
      r.configVersion = hb.configVersion;
    }
    if (hb.epoch === r.epoch && bootId === r.bootId) r.clockZeroAt = Math.min(r.clockZeroAt, zero);
    return left;
  }

  /**
   * What is due at `now`: the minutes that ended at least `graceMs` ago (all of them with `all`,
   * e.g. when stopping) and every router's newest report; sorted (a fixed row order keeps concurrent
   * flushes from deadlocking). `heartbeats` counts the heartbeats whose minutes are in the batch.
   */
  take(now = Infinity, all = true): { minutes: LinkMinute[]; routers: RouterSeen[]; heartbeats: number } {
    const due = all ? Infinity : now - this.graceMs - 60000;
    const minutes: LinkMinute[] = [];
    if (due === Infinity) {
      for (const m of this.#minutes.values()) minutes.push(m); // (no spread: hundreds of thousands of rows)
      this.#minutes = new Map();
    } else {
      for (const [k, m] of this.#minutes) if (m.minute <= due) { minutes.push(m); this.#minutes.delete(k); }
    }
    let heartbeats = 0;
    for (const [minute, n] of this.#perMinute) if (minute <= due) { heartbeats += n; this.#perMinute.delete(minute); }
    minutes.sort((a, b) => cmp(a.router, b.router) || cmp(a.link, b.link) || a.minute - b.minute);
    const routers = [...this.#routers.values()].sort((a, b) => cmp(a.router, b.router));
    this.#routers = new Map();
    this.heartbeats -= heartbeats;
    this.oldestAt = null;
    const current = now === Infinity ? Infinity : now - (now % 60000);
    for (const [r, s] of this.#names) if (s.minute < current) this.#names.delete(r);
    return { minutes, routers, heartbeats };
  }

  /** Put a batch that failed to write back in front of what came since (merged by key). */
  restore(batch: { minutes: LinkMinute[]; routers: RouterSeen[]; heartbeats: number }, oldestAt: number | null): void {
    for (const m of batch.minutes) {
      const key = m.router + "\0" + m.link + "\0" + m.minute;
      const cur = this.#minutes.get(key);
      if (!cur) { this.#minutes.set(key, m); continue; }
      cur.samples += m.samples; cur.rttSum += m.rttSum; cur.rttMax = Math.max(cur.rttMax, m.rttMax);
      cur.lossSum += m.lossSum; cur.lossMax = Math.max(cur.lossMax, m.lossMax); cur.jitterSum += m.jitterSum;
      cur.up += m.up; cur.degraded += m.degraded; cur.down += m.down; cur.active += m.active;
    }
    for (const r of batch.routers) {
      const cur = this.#routers.get(r.router);
      if (!cur) { this.#routers.set(r.router, r); continue; }
      cur.lastAt = Math.max(cur.lastAt, r.lastAt);
      if (r.epoch === cur.epoch) cur.clockZeroAt = Math.min(cur.clockZeroAt, r.clockZeroAt);
    }
    this.heartbeats += batch.heartbeats;
    if (batch.heartbeats) {
      // Count them again under their (earliest) minute so the next take hands them out.
      const first = batch.minutes.reduce((m, x) => Math.min(m, x.minute), Infinity);
      const key = first === Infinity ? 0 : first;
      this.#perMinute.set(key, (this.#perMinute.get(key) ?? 0) + batch.heartbeats);
    }
    if (oldestAt !== null) this.oldestAt = this.oldestAt === null ? oldestAt : Math.min(this.oldestAt, oldestAt);
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
