// The data plane, measured: npm run testbed's JSON for the firmware and for dpinger on the same
// faults, held against the targets of a router whose dead uplink must cost its users about a
// second. Root, network namespaces and the Moddable SDK are needed; outside CI their absence is
// one skipped line, under CI=true a failure.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../testing/scenario-runs";
import { recordDevice } from "../../testing/environment";
import { missingForTestbed } from "../ns";
import { longestGap, sourceAt, heldFate } from "../measure";
import type { CaseResult } from "../run-case";

const CI = process.env.CI === "true";
type Row = CaseResult & { simulator?: string[] };

describe("testbed measures (no network needed)", () => {
  const a = { at: [1000, 1020, 1040, 2500, 2520], seq: [0, 1, 2, 3, 4], from: ["w", "w", "w", "l", "l"] };
  it("the user's outage is the longest silence, counted to the window's end when the stream never came back", () => {
    assert.equal(longestGap(a, 1030, 3000), 1460);
    assert.equal(longestGap(a, 1030, 2000), 960);
    assert.equal(longestGap({ at: [], seq: [], from: [] }, 0, 1000), 0);
  });
  it("the stream's source is that of its last packet before a time", () => {
    assert.equal(sourceAt(a, 2000), "w");
    assert.equal(sourceAt(a, 9999), "l");
    assert.equal(sourceAt(a, 10), null);
  });
  it("held TCP connections are reset, alive or hung", () => {
    const s = { sent: 0, newConnectMs: null, held: [
      { openedAt: 0, lastEchoAt: 900, endedAt: 1500, how: "ECONNRESET" },
      { openedAt: 0, lastEchoAt: 5000, endedAt: null, how: null },
      { openedAt: 0, lastEchoAt: 900, endedAt: null, how: null },
    ] };
    assert.equal(heldFate(s, 1000, 9000), "ECONNRESET after 500 ms; alive; hung (no echo for 8000 ms)");
  });
});

describe("npm run testbed: firmware and dpinger on Linux namespaces", () => {
  let rows: Row[] = [];
  let skip: string | null = null;
  let output = "";

  before(async () => {
    skip = missingForTestbed();
    recordDevice(skip ? `testbed skipped (${skip})` : "testbed on network namespaces");
    if (skip) return;
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, "dist/testbed.js"), "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "", stderr = "";
      child.stdout.on("data", (d) => { stdout += d; });
      child.stderr.on("data", (d) => { stderr += d; process.stderr.write(d); });
      const timer = setTimeout(() => child.kill("SIGTERM"), 30 * 60 * 1000);
      child.on("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    });
    output = r.stderr.slice(-6000);
    assert.equal(r.code, 0, `testbed exited ${r.code}:\n${output}`);
    rows = (JSON.parse(r.stdout) as { cases: Row[] }).cases;
  });

  const row = (fault: string, system = "firmware"): Row => {
    const r = rows.find((x) => x.fault === fault && x.system === system);
    assert.ok(r, `no ${system} row for ${fault} in ${JSON.stringify(rows.map((x) => `${x.system}/${x.fault}`))}\n${output}`);
    return r;
  };
  const ran = (t: { skip(m: string): void }): boolean => {
    if (!skip) return true;
    if (CI) assert.fail(`the testbed must run under CI: ${skip}`);
    t.skip(skip);
    return false;
  };

  it("stdout is one JSON object whose cases carry every figure, for both systems and every fault", (t) => {
    if (!ran(t)) return;
    for (const system of ["firmware", "dpinger"]) {
      for (const fault of ["blackhole", "carrier-down", "loss-10", "gaps-1s", "icmp-filtered", "bufferbloat", "blackhole: primary returns"]) {
        const r = row(fault, system);
        for (const k of ["userOutageMs", "streamViaBackup", "tcpNewConnectMs", "staleNatEntries", "switches", "brokerEventMs"]) assert.ok(k in r, `${system}/${fault} lacks ${k}`);
      }
    }
  });

  // The issue's target: 1.5 s. Users' traffic makes the primary suspect within a poll or two of
  // the cut, and the silence is judged from their last arrival, so the switch comes about 0.9 s
  // after it whatever the baseline probe's phase.
  it("primary blackholed: the user's stream is back within 1.5 s, through the backup, no flow left on the dead uplink, the broker told within 3 s", (t) => {
    if (!ran(t)) return;
    const r = row("blackhole");
    assert.ok(r.userOutageMs <= 1500, `userOutageMs ${r.userOutageMs}`);
    assert.equal(r.streamViaBackup, true);
    assert.equal(r.staleNatEntries, 0);
    assert.ok(r.brokerEventMs !== null && r.brokerEventMs <= 3000, `brokerEventMs ${r.brokerEventMs}`);
    assert.equal(r.switches >= 1, true);
  });

  it("carrier down: the stream is back within 300 ms through the backup, no stale NAT entry, the broker told within 3 s", (t) => {
    if (!ran(t)) return;
    const r = row("carrier-down");
    assert.ok(r.userOutageMs <= 300, `userOutageMs ${r.userOutageMs}`);
    assert.equal(r.streamViaBackup, true);
    assert.equal(r.staleNatEntries, 0);
    assert.ok(r.brokerEventMs !== null && r.brokerEventMs <= 3000, `brokerEventMs ${r.brokerEventMs}`);
  });

  it("the primary returns: a planned failback costs the stream at most 200 ms and leaves no flow on the backup's NAT", (t) => {
    if (!ran(t)) return;
    for (const fault of ["blackhole: primary returns", "carrier-down: primary returns"]) {
      const r = row(fault);
      assert.ok(r.userOutageMs >= 0 && r.userOutageMs <= 200, `${fault}: userOutageMs ${r.userOutageMs} (${r.tcpHeld})`);
      assert.equal(r.streamViaBackup, false, `${fault}: the stream is back on the primary`);
      assert.equal(r.staleNatEntries, 0, fault);
    }
  });

  it("nuisances do not move the users: 10 % loss for 2 min and 1 s gaps every 20 s for 3 min, no switch", (t) => {
    if (!ran(t)) return;
    assert.equal(row("loss-10").switches, 0, "loss-10");
    assert.equal(row("gaps-1s").switches, 0, "gaps-1s");
  });

  it("dpinger is measured beside it on the same faults (its figures are reported, not judged)", (t) => {
    if (!ran(t)) return;
    const d = row("blackhole", "dpinger");
    // Its blackhole alarm needs 20 % of a 60 s window lost: never within a second.
    assert.ok(d.userOutageMs > 1500, `dpinger blackhole userOutageMs ${d.userOutageMs}`);
  });
});
