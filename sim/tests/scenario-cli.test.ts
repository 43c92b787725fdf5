// `npm run sim -- <file> [--json]` as a user runs it: the contract's JSON, and bad files rejected
// with the path of the bad field, a non-zero exit and nothing on stdout.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, SCENARIOS, scenarioText } from "../../testing/scenario-runs";

const sim = (...args: string[]) => spawnSync(process.execPath, [ROOT + "dist/sim.js", ...args], { encoding: "utf8" });

// One temp dir for the file's scenarios, removed at the end (npm test leaves nothing in the temp dir).
const dir = mkdtempSync(join(tmpdir(), "scenario-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function withFile(content: string): string {
  const f = join(dir, `s${files++}.json`);
  writeFileSync(f, content);
  return f;
}

test("--json prints one object with every field of the contract", () => {
  const r = sim(SCENARIOS + "primary-blackhole.json", "--json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ["scenario", "seed", "durationMs", "events", "failovers", "detectionMs", "falseFailovers",
    "probeBytes", "heartbeats", "heartbeatGapMs", "eventsLost"]) assert.ok(k in out, `missing ${k}`);
  assert.equal(out.scenario, "primary-blackhole");
  assert.equal(out.seed, 7);
  const fo = out.events.find((e: { type: string }) => e.type === "failover");
  assert.deepEqual([fo.from, fo.to, fo.reason], ["wan0", "lte0", "no-reply"]);
  assert.equal(typeof fo.atMs, "number");
  assert.equal(out.failovers, 1);
  assert.deepEqual(Object.keys(out.probeBytes).sort(), ["lte0", "wan0", "wlan0"]);
});

test("the human summary names each switch", () => {
  const r = sim(SCENARIOS + "primary-blackhole.json");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /FAILOVER\s+wan0 -> lte0\s+\(no-reply\)/);
  assert.match(r.stdout, /FAILBACK\s+lte0 -> wan0/);
});

const base = JSON.parse(scenarioText("primary-blackhole"));
const bad: Array<[string, unknown, RegExp]> = [
  ["wrong type in a link", { ...base, links: [{ ...base.links[0], rttMs: "fast" }, base.links[1]] }, /\/links\/0\/rttMs must be number/],
  ["unknown fault kind", { ...base, faults: [{ atMs: 1000, link: "wan0", kind: "meteor" }] }, /\/faults\/0\/kind must be equal to one of the allowed values/],
  ["fault on a link that does not exist", { ...base, faults: [{ atMs: 1000, link: "eth9", kind: "blackhole" }] }, /\/faults\/0\/link 'eth9' is not one of the links/],
  ["loss fault without a rate", { ...base, faults: [{ atMs: 1000, link: "wan0", kind: "loss" }] }, /\/faults\/0 must have required property 'rate'/],
  ["config override out of range", { ...base, config: { probe: { intervalMs: 10 } } }, /\/config\/probe\/intervalMs must be >= 1000/],
  ["unknown top-level field", { ...base, colour: "blue" }, /\/ must NOT have additional properties 'colour'/],
  ["duplicate link names", { ...base, links: [base.links[0], base.links[0]] }, /\/links\/1\/name 'wan0' is used twice/],
  ["fault after the end", { ...base, faults: [{ atMs: base.durationMs, link: "wan0", kind: "restore" }] }, /\/faults\/0\/atMs .* is not before durationMs/],
  ["missing duration", { name: "x", links: base.links }, /\/ must have required property 'durationMs'/],
];

for (const [what, content, message] of bad) {
  test(`rejects a scenario with ${what}`, () => {
    const f = withFile(JSON.stringify(content));
    const r = sim(f, "--json");
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, "", "no partial result");
    assert.match(r.stderr, message);
    assert.ok(r.stderr.includes(f), "names the file");
  });
}

test("rejects a file that is not JSON, and a missing file", () => {
  const r = sim(withFile("{ \"name\": "), "--json");
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /not valid JSON/);
  const m = sim("/nonexistent/scenario.json");
  assert.notEqual(m.status, 0);
  assert.match(m.stderr, /cannot read/);
});

test("rejects unknown options", () => {
  const r = sim(SCENARIOS + "primary-blackhole.json", "--jsno");
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown option --jsno/);
});
