// The collector's pure parts: what it accepts and rejects, link kinds, rollup sums, the event keys,
// the exposition format's fixed label sets; and the page's chart arithmetic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decode, MAX_PAYLOAD_BYTES, parseTopic } from "../collector/decode";
import { linkKind } from "../collector/link-kind";
import { MinuteRollups } from "../collector/rollup";
import { birthRow, routerEventRow } from "../collector/event-row";
import { Counter, Histogram, ListedGauge, renderAll } from "../collector/exposition";
import { CollectorMetrics } from "../collector/metrics";
import { isTransient } from "../collector/collector";
import { fitRange, nearest, niceTicks, segments, timeTicks } from "../../dashboard/src/chart-scales";
import { REPO_ROOT } from "../paths";

const enc = (s: string) => new TextEncoder().encode(s);
const HB = { seq: 1, epoch: 2, uptimeMs: 1000, active: "wan0", configVersion: 1, queued: 0, dropped: 0,
  links: [{ name: "wan0", state: "up", rttMs: 10, lossPct: 0, jitterMs: 1 }] };

test("decode: valid messages pass; bad topics, oversize, non-JSON, schema breaks and out-of-bounds fields are rejected with what and where", () => {
  const ok = decode("routers/r-1/heartbeat", enc(JSON.stringify(HB)));
  assert.equal(ok.ok, true);
  const cases: Array<[string, string | Uint8Array, string, RegExp]> = [
    ["routers/r-1/heartbeat/extra", "{}", "topic", /is not routers\/<id>/],
    ["routers/../heartbeat", "{}", "topic", /topic/],
    [`routers/${"x".repeat(65)}/heartbeat`, "{}", "topic", /topic/],
    ["routers/r-1/config/set", "{}", "topic", /topic/],
    ["routers/r-1/heartbeat", "x".repeat(MAX_PAYLOAD_BYTES + 1), "size", /over the 8192-byte limit/],
    ["routers/r-1/heartbeat", "{nope", "json", /not JSON/],
    ["routers/r-1/heartbeat", new Uint8Array([0x7b, 0xff, 0x7d]), "json", /not UTF-8/],
    ["routers/r-1/heartbeat", JSON.stringify({ ...HB, seq: "seven" }), "schema", /seq.*must be integer/],
    ["routers/r-1/event", JSON.stringify({ epoch: 1, seq: 300, atMs: 1, type: "failover", from: "a", to: "b", reason: "x" }), "schema", /seq/],
    ["routers/r-1/heartbeat", JSON.stringify({ ...HB, links: Array.from({ length: 17 }, (_, i) => ({ ...HB.links[0], name: `l${i}` })) }), "bounds", /17 links, at most 16/],
    ["routers/r-1/heartbeat", JSON.stringify({ ...HB, links: [{ ...HB.links[0], name: "<img src=x>" }] }), "bounds", /\/links\/0\/name/],
    ["routers/r-1/heartbeat", JSON.stringify({ ...HB, links: [HB.links[0], HB.links[0]] }), "bounds", /wan0 twice/],
    ["routers/r-1/event", JSON.stringify({ epoch: 1, seq: 3, atMs: 1, type: "failover", from: "wan0", to: "x".repeat(40), reason: "r" }), "bounds", /\/to/],
  ];
  for (const [topic, payload, reason, msg] of cases) {
    const d = decode(topic, typeof payload === "string" ? enc(payload) : payload);
    assert.equal(d.ok, false, topic);
    if (d.ok) continue;
    assert.equal(d.reason, reason, `${topic}: ${d.error}`);
    assert.match(d.error, msg);
  }
  assert.deepEqual(parseTopic("routers/edge-1/birth"), { router: "edge-1", kind: "birth" });
  // A field named like an Object prototype member is just a field.
  const proto = decode("routers/r-1/event", enc(JSON.stringify({ epoch: 1, seq: 3, atMs: 1, type: "boot", safeMode: false, boots: 1, configVersion: 1, __proto__: { polluted: 1 } })));
  assert.equal(proto.ok, true);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("link kinds come from a fixed enum, whatever the name", () => {
  assert.deepEqual(["wan0", "eth0.2", "lte0", "wwan0", "wlan0", "wl1", "sat0", "", "__proto__"].map(linkKind),
    ["ethernet", "ethernet", "lte", "lte", "wifi", "wifi", "other", "other", "other"]);
});

test("rollups: sums per router, link and minute; the newest heartbeat of a boot wins; the clock zero is the earliest estimate", () => {
  const r = new MinuteRollups();
  const t = Date.UTC(2026, 0, 1, 0, 0, 0);
  r.add("a", { ...HB, uptimeMs: 5000, links: [{ name: "wan0", state: "up", rttMs: 10, lossPct: 0, jitterMs: 1 }] } as never, t + 5100);
  r.add("a", { ...HB, uptimeMs: 15000, active: "lte0", links: [{ name: "wan0", state: "down", rttMs: 30, lossPct: 100, jitterMs: 3 }] } as never, t + 15300);
  r.add("a", { ...HB, uptimeMs: 65000, links: [{ name: "wan0", state: "up", rttMs: 12, lossPct: 0, jitterMs: 1 }] } as never, t + 65050);
  const b = r.take();
  assert.equal(b.heartbeats, 3);
  assert.deepEqual(b.minutes.map((m) => [m.minute - t, m.samples, m.rttSum, m.rttMax, m.down, m.active]), [[0, 2, 40, 30, 1, 1], [60000, 1, 12, 12, 0, 1]]);
  assert.equal(b.routers[0].active, "wan0", "the newest report");
  assert.equal(b.routers[0].clockZeroAt, t + 50, "receive time minus uptime, least over the boot");
  assert.equal(r.size, 0);
});

test("event rows: keys repeat exactly on redelivery and differ after the seq wrap", () => {
  const e = { epoch: 4, seq: 9, atMs: 123.5, type: "link-state", link: "lte0", from: "up", to: "down", reason: "no-reply" };
  assert.equal(routerEventRow("r", e, 1).key, routerEventRow("r", { ...e }, 99).key);
  assert.notEqual(routerEventRow("r", e, 1).key, routerEventRow("r", { ...e, atMs: 99999 }, 1).key);
  assert.equal(routerEventRow("r", e, 1).linkKind, "lte");
  assert.equal(birthRow("r", { firmware: "f", configVersion: 1, safeMode: false, boots: 2, epoch: 4, birthSeq: 3, links: [] }, 1).key, "b/4/3");
});

test("exposition: fixed label sets (unknown values throw, every series exists at 0), histogram buckets cumulative", () => {
  const c = new Counter("x_total", "help with \\ and\nnewline", { kind: ["a", "b"] });
  c.inc({ kind: "b" }, 2);
  assert.throws(() => c.inc({ kind: "router-123" }), /not one of the declared values/);
  assert.throws(() => c.inc({}), /labels/);
  const h = new Histogram("d_seconds", "d", [0.1, 1]);
  h.observe(0.05); h.observe(0.5); h.observe(5);
  assert.equal(renderAll([c, h]), [
    "# HELP x_total help with \\\\ and\\nnewline", "# TYPE x_total counter", 'x_total{kind="a"} 0', 'x_total{kind="b"} 2',
    "# HELP d_seconds d", "# TYPE d_seconds histogram", 'd_seconds_bucket{le="0.1"} 1', 'd_seconds_bucket{le="1"} 2', 'd_seconds_bucket{le="+Inf"} 3',
    "d_seconds_sum 5.55", "d_seconds_count 3", ""].join("\n"));
  // The collector's whole metric set is a fixed number of series.
  const lines = renderAll(new CollectorMetrics().all()).split("\n").filter((l) => l && !l.startsWith("#"));
  assert.ok(lines.length < 200, `${lines.length} series`);
});

test("transient database errors are retried, data errors are not", () => {
  assert.equal(isTransient(Object.assign(new Error("x"), { code: "40P01" })), true);
  assert.equal(isTransient(Object.assign(new Error("x"), { code: "57P01" })), true);
  assert.equal(isTransient(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), true);
  assert.equal(isTransient(new Error("no code")), true);
  assert.equal(isTransient(Object.assign(new Error("x"), { code: "22003" })), false);
  assert.equal(isTransient(Object.assign(new Error("x"), { code: "23505" })), false);
});

test("charts: round ticks, time ticks inside the range, lines broken at gaps; the panel builds no markup from strings", () => {
  assert.deepEqual(niceTicks(73), [0, 20, 40, 60, 80]);
  assert.deepEqual(niceTicks(0.7), [0, 0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  const from = Date.UTC(2026, 0, 1, 10, 7), to = from + 3600e3;
  const ticks = timeTicks(from, to);
  assert.ok(ticks.length >= 2 && ticks.length <= 6 && ticks.every((t) => t >= from && t <= to));
  assert.deepEqual(segments([[0, 1], [60, 1], [120, 1], [600, 1], [660, 1]], 150).map((s) => s.length), [3, 2]);
  for (const f of ["dashboard/src/history.ts", "dashboard/src/charts.ts", "dashboard/src/chart-scales.ts"]) {
    assert.doesNotMatch(readFileSync(join(REPO_ROOT, f), "utf8"), /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, f);
  }
});

test("charts: the window fits the data (a day with ten minutes of data shows those minutes); hover finds the nearest point within the gap", () => {
  const day = 86400e3, to = 10 * day, from = to - day;
  assert.deepEqual(fitRange(from, to, [], 300e3), { from, to, fitted: false }, "no data: the whole range");
  assert.deepEqual(fitRange(from, to, [from + 1000, to - 1000], 300e3), { from, to, fitted: false }, "data over the whole day: the whole day");
  const f = fitRange(from, to, [to - 600e3, to - 300e3], 300e3);
  assert.ok(f.fitted && f.from < to - 600e3 && f.from >= to - 600e3 - 60e3 - 1, `ten minutes of data: starts just before them (${(to - f.from) / 1000} s)`);
  assert.equal(fitRange(from, to, [to - 10e3], 300e3).from, to - 300e3, "at least the minimum span");
  const pts: Array<[number, number]> = [[0, 1], [60, 2], [120, 3], [600, 4]];
  assert.deepEqual(nearest(pts, 70, 100), [60, 2]);
  assert.deepEqual(nearest(pts, 100, 100), [120, 3]);
  assert.equal(nearest(pts, 400, 100), null, "nothing within the gap");
  assert.equal(nearest([], 1, 100), null);
});

test("exposition: a listed gauge names at most its cap of routers, and only ids of the pattern", () => {
  const g = new ListedGauge("fleet_router_offline_since_seconds", "h", "router", /^[a-z0-9-]{1,8}$/, 2);
  assert.doesNotMatch(g.render(), /router=/, "no series while nobody is listed");
  g.setAll([["r-1", 5], ["r-2", 6]]);
  assert.match(g.render(), /fleet_router_offline_since_seconds\{router="r-1"\} 5\n.*\{router="r-2"\} 6\n/);
  assert.throws(() => g.setAll([["a", 1], ["b", 1], ["c", 1]]), /3 series, at most 2/);
  assert.throws(() => g.setAll([['x"} 1\nevil{a="', 1]]), /does not match/);
  assert.equal(g.size, 2, "a refused set leaves the last one");
});
