// The operator scorecard's classes (bench/classes.ts) as behaviour: a few seeds of each,
// asserting what the issue asks of the router. The scorecard prints the figures over many seeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { classById, CLASSES } from "../bench/classes";
import { runFirmware } from "../bench/scorecard";
import type { TrafficSpec } from "../sim/world/sim-traffic";
import { parseScenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";

const hours = (ms: number) => ms / 3600000;
const switchesPerHour = (id: string, seeds: number, traffic?: TrafficSpec) => {
  let n = 0, h = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const { obs } = runFirmware(classById(id), seed, false, traffic);
    n += obs.switches.length;
    h += hours(obs.durationMs);
  }
  return n / h;
};
const downs = (events: ReturnType<typeof runFirmware>["events"], link = "wan0") =>
  events.filter((e) => e.type === "link-state" && e.link === link && e.to === "down").length;

test("blackhole on a clean Ethernet primary: switch within 2.0 s, probing at most 1/s before it", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { obs } = runFirmware(classById("blackhole"), seed);
    assert.equal(obs.detectionMs.length, 1, `seed ${seed}`);
    assert.ok(obs.detectionMs[0] <= 2000, `seed ${seed}: ${obs.detectionMs[0]} ms`);
    assert.ok(obs.probes.wan0 <= 200 + 40, `seed ${seed}: ${obs.probes.wan0} probes on wan0 in 200 s`);
  }
});

test("a link whose gap tolerance grew: a real blackhole still switches within 3.5 s", () => {
  // Where dampening already moved traffic off the gappy primary there is nothing to detect.
  const all: number[] = [];
  for (let seed = 1; seed <= 10; seed++) all.push(...runFirmware(classById("blackhole-grown"), seed).obs.detectionMs);
  assert.ok(all.length >= 3, `measured ${all.length} times`);
  assert.ok(Math.max(...all) <= 3500, `worst ${Math.max(...all)} ms`);
});

test("GEO satellite primary: blackhole within 3 x RTT + 2 s", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const { obs } = runFirmware(classById("geo-blackhole"), seed);
    assert.equal(obs.detectionMs.length, 1, `seed ${seed}`);
    assert.ok(obs.detectionMs[0] <= 3800, `seed ${seed}: ${obs.detectionMs[0]} ms`);
  }
});

test("GEO satellite primary under users' traffic: a probe sent just before their last packet arrived counts against the silence", () => {
  // Seeds 11, 32 and 48 sent a probe within the 600 ms path's RTT before the users' last arrival:
  // it was left out of the silence and held its socket for 3 s (4.3-4.5 s to leave).
  for (const seed of [11, 32, 48, 1, 2, 3]) {
    const { obs } = runFirmware(classById("geo-blackhole"), seed, false, { profile: "busy" });
    assert.equal(obs.detectionMs.length, 1, `seed ${seed}`);
    assert.ok(obs.detectionMs[0] <= 3800, `seed ${seed}: ${obs.detectionMs[0]} ms`);
  }
});

test("gaps of 0.5 s or less never move traffic, on Ethernet or LTE", () => {
  assert.equal(switchesPerHour("gaps-short", 3), 0);
  assert.equal(switchesPerHour("gaps-short-lte", 3), 0);
});

test("1 s gaps every 30-120 s: at most 2 switches an hour", () => {
  const r = switchesPerHour("gaps-1s", 3);
  assert.ok(r <= 2, `${r.toFixed(2)} switches/hour`);
});

for (const traffic of [undefined, { profile: "busy" as const }]) {
test(`1.5-3 s gaps${traffic ? ", users' traffic flowing" : ""}: at most 4 switches an hour, none begun knowably after its gap ended, no DNS fault read into a gap`, () => {
  let n = 0, h = 0, late = 0, dns = 0;
  // With traffic each silence is dated from the users' last packet, so gaps are seen whole.
  for (let seed = 1; seed <= (traffic ? 6 : 4); seed++) {
    const { obs, events } = runFirmware(classById("gaps-3s"), seed, false, traffic);
    n += obs.switches.length;
    h += hours(obs.durationMs);
    late += obs.switches.filter((s) => s.afterEndKnowable).length;
    dns += events.filter((e) => e.type === "link-state" && e.to === "degraded" && e.reason === "quality-dns").length;
  }
  assert.ok(n / h <= 4, `${(n / h).toFixed(2)} switches/hour`);
  assert.equal(late, 0, "failovers begun more than 100 ms + RTT after the gap ended");
  assert.equal(dns, 0, "resolvers asked inside a gap are not a DNS fault");
});
}

test("10 % loss + 200 ms jitter for 24 h: no switch (seed 2 once read a lucky window as 2 % loss)", () => {
  for (let seed = 1; seed <= 3; seed++) assert.equal(runFirmware(classById("lossy-day"), seed).obs.switches.length, 0, `seed ${seed}`);
});

test("a slow loss ramp to 70 % and back: one failover, one failback, with or without users' traffic", () => {
  const { obs } = runFirmware(classById("loss-ramp"), 1);
  assert.deepEqual(obs.switches.map((s) => (s.failback ? "failback" : "failover")), ["failover", "failback"]);
  // Users' packets prove the path but not its loss: probing must not stay slow while loss grows.
  for (let seed = 1; seed <= 2; seed++) {
    const busy = runFirmware(classById("loss-ramp"), seed, false, { profile: "busy" }).obs;
    assert.deepEqual(busy.switches.map((s) => (s.failback ? "failback" : "failover")), ["failover", "failback"], `busy, seed ${seed}`);
  }
});

test("burst loss 0.2-0.8 s: at most 2 switches an hour", () => {
  const r = switchesPerHour("burst", 3);
  assert.ok(r <= 2, `${r.toFixed(2)} switches/hour`);
});

test("a route change to +100 ms for hours: never down, no switch", () => {
  const { obs, events } = runFirmware(classById("route-change"), 1);
  assert.equal(obs.switches.length, 0);
  assert.equal(downs(events), 0);
});

test("an upload filling the queue: probes sent before a late reply raised the RTO are not counted as lost when their shorter wait runs out", () => {
  // Seed 4: the RTT climbs from 12 ms to 270 ms in a quarter second; fast probes sent with the old
  // 250 ms wait expired just before their answers came and took the link down.
  const { events } = runFirmware(classById("bufferbloat"), 4);
  assert.equal(downs(events), 0);
});

test("RTT steps to 0.1-3 s under users' traffic: no more switches than the 1.35 an hour reported before the detector changes of issue 19", () => {
  // Their packets stop for the step and come back late; the first probe sent in such a silence
  // listens until it is judged, so a path that only got slower is heard, not left (silence.ts).
  const r = switchesPerHour("rtt-step", 20, { profile: "busy" });
  assert.ok(r <= 1.35, `${r.toFixed(2)} switches/hour`);
});

test("a blackhole on a path an upload slowed to 2.4 s is still found: a probe that waited maxTimeoutMs counts though the RTO is longer", () => {
  // The RTO is held at 1.5 x the peak RTT, 3.6 s here, past the 3 s any probe may wait: counting
  // only probes that waited an RTO left this blackhole undetected.
  const sc = parseScenario(JSON.stringify({
    name: "bloat-then-blackhole", seed: 3, durationMs: 600000,
    links: [
      { name: "wan0", kind: "ethernet", priority: 1, rttMs: 12, jitterMs: 2, loss: 0 },
      { name: "lte0", kind: "lte", priority: 2, rttMs: 60, jitterMs: 10, loss: 0 },
    ],
    config: { failover: { onDegraded: "stay" } },
    faults: [
      { atMs: 60000, link: "wan0", kind: "bufferbloat", peakMs: 2400, rampMs: 30000, durationMs: 500000 },
      { atMs: 300000, link: "wan0", kind: "blackhole" },
    ],
  }), "bloat-then-blackhole");
  const { result } = runScenario(sc);
  assert.equal(result.detectionMs.length, 1, "the blackhole is left");
  assert.ok(result.detectionMs[0] <= 15000, `${result.detectionMs[0]} ms`);
});

test("sustained congestion above the RTT threshold: degraded, never down, and left per onDegraded", () => {
  const { obs, events } = runFirmware(classById("rtt-sustained"), 1);
  assert.equal(downs(events), 0);
  const deg = events.find((e) => e.type === "link-state" && e.link === "wan0" && e.to === "degraded");
  assert.equal((deg as { reason?: string } | undefined)?.reason, "quality-rtt");
  assert.ok(obs.switches.some((s) => !s.failback && s.from === "wan0"), "failed over (onDegraded: failover)");
});

test("resolvers blocked on the primary for 6 h: at most 2 switches an hour; DNS broken everywhere: none", () => {
  const r = switchesPerHour("dns-blocked-primary", 1);
  assert.ok(r <= 2, `${r.toFixed(2)} switches/hour`);
  assert.equal(switchesPerHour("dns-blocked-all", 2), 0);
});

test("ISP outage on every uplink: no reboot, no safe mode, back on the primary after", () => {
  const { obs, events } = runFirmware(classById("isp-outage"), 1);
  assert.equal(obs.reboots, 0);
  assert.ok(!events.some((e) => e.type === "boot" && e.safeMode), "no safe mode");
  const end = 60000 + 20 * 60000;
  // The router stays pointed at its primary through the outage (nothing better answers) or
  // switches back to it: either way wan0 is up and carries traffic once the outage ends.
  const last = events.filter((e) => e.type === "failback" || e.type === "failover" || e.type === "initial").pop() as { to?: string };
  assert.equal(last.to, "wan0", "the last switch went to wan0");
  const up = events.find((e) => e.type === "link-state" && e.link === "wan0" && e.to === "up" && e.atMs >= end);
  assert.ok(up && up.atMs <= end + 2000 + 30000 + 5000, `wan0 up after the outage at ${up?.atMs}`);
  assert.equal(obs.switches.filter((s) => s.atMs >= end && s.from === "wan0").length, 0, "no switch away after it");
});

test("ISP outage on every uplink, ending on both at once: the primary is kept, not a failover and a failback", () => {
  // The backup is often confirmed a moment first; the primary answering then is probed at once
  // and waited for (policy.ts RETURNING_WAIT_MS).
  const c = classById("isp-outage");
  for (let seed = 1; seed <= c.seeds; seed++) {
    const { obs } = runFirmware(c, seed);
    assert.deepEqual(obs.switches.map((s) => `${s.from}->${s.to}`), [], `seed ${seed}`);
  }
});

test("a wedged standby modem is reset within 5 minutes of being found dead", () => {
  const { events } = runFirmware(classById("wedged-standby"), 1);
  const dead = events.find((e) => e.type === "link-state" && e.link === "lte0" && e.to === "down");
  assert.ok(dead, "lte0 found dead");
  const reset = events.find((e) => e.type === "watchdog" && e.action === "reset-link" && String(e.detail).includes("lte0"));
  assert.ok(reset && reset.atMs - dead.atMs <= 300000, `reset ${reset ? reset.atMs - dead.atMs : "never"} ms after`);
  const fo = events.find((e) => e.type === "failover" && e.from === "wan0");
  assert.equal((fo as { to?: string } | undefined)?.to, "lte0", "the reset backup takes over");
});

test("boot with every link healthy: the preferred link first, no switch in the first minute", () => {
  for (let seed = 1; seed <= 5; seed++) {
    const { obs, events } = runFirmware(classById("boot"), seed);
    const first = events.find((e) => e.type === "initial");
    assert.equal((first as { to?: string } | undefined)?.to, "wan0", `seed ${seed}`);
    assert.equal(obs.switches.filter((s) => s.atMs < 60000).length, 0, `seed ${seed}`);
  }
});

test("every class of an hour or less gives the same event log in XS as in Node", () => {
  for (const c of CLASSES) {
    const sc = c.make(1);
    if (sc.durationMs > 3800000) continue;
    const node = runFirmware(c, 1);
    const xs = runFirmware(c, 1, true);
    assert.equal(JSON.stringify(xs.events), JSON.stringify(node.events), c.id);
  }
});
