// What replaying a long recording costs: a day at 10 ms (8.64 million rows, per-direction loss and
// delay) written to a temporary file, checked by the scenario loader, then replayed under the
// firmware for the whole simulated day. Memory is the point: the replay reads forward through a
// window, so the heap should not grow with the file.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseScenario } from "../sim/scenario/load-scenario";
import { runScenario } from "../sim/scenario/run-scenario";
import { Rng } from "../sim/world/random";
import type { TraceCursor } from "../sim/world/trace-timeline";

const DAY = 86400000;

/** Write a day of 10 ms rows: ~20 ms each way with noise, a 1-3 s silence one way or both every ~5 min. */
function writeDay(file: string, intervalMs: number): number {
  const fd = openSync(file, "w");
  const rng = new Rng(2419);
  const rows = DAY / intervalMs;
  let silentUntil = -1, silentDir = 0;
  const parts: string[] = ["loss_up,loss_down,delay_up_ms,delay_down_ms\n"];
  for (let i = 0; i < rows; i++) {
    if (i > silentUntil && rng.next() < intervalMs / 300000) {
      silentUntil = i + Math.round((1000 + rng.next() * 2000) / intervalMs);
      silentDir = Math.floor(rng.next() * 3);
    }
    const s = i <= silentUntil;
    const up = s && silentDir !== 1 ? "1" : rng.next() < 0.01 ? "0.5" : "0";
    const down = s && silentDir !== 0 ? "1" : "0";
    parts.push(`${up},${down},${(18 + rng.next() * 6).toFixed(1)},${(19 + rng.next() * 8).toFixed(1)}\n`);
    if (parts.length >= 20000) { writeSync(fd, parts.join("")); parts.length = 0; }
  }
  writeSync(fd, parts.join(""));
  closeSync(fd);
  return rows;
}

const mb = (b: number) => (b / 1048576).toFixed(1) + " MB";

export function traceCost(): void {
  console.log("\ntrace replay: a day at 10 ms (per-direction loss and delay), checked then replayed under the firmware for 24 h");
  const dir = mkdtempSync(join(tmpdir(), "trace-cost-"));
  try {
    const file = join(dir, "day-10ms.csv");
    let t = performance.now();
    const rows = writeDay(file, 10);
    console.log(`  file: ${rows.toLocaleString("en")} rows, ${mb(statSync(file).size)} (written in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed, rss0 = process.memoryUsage().rss;
    t = performance.now();
    const sc = parseScenario(JSON.stringify({
      name: "day-10ms", seed: 1, durationMs: DAY + 60000,
      links: [{ name: "wan0", kind: "lte", priority: 1, rttMs: 40 }, { name: "lte0", kind: "lte", priority: 2, rttMs: 60 }],
      faults: [{ atMs: 30000, link: "wan0", kind: "trace", file, intervalMs: 10, bufferPackets: 64, bufferMs: 5000, silenceMs: 500 }],
    }), join(dir, "day.json"));
    const checkS = (performance.now() - t) / 1000;
    let peakHeap = 0, peakRss = 0, cursor: TraceCursor | null = null;
    const sample = () => {
      const m = process.memoryUsage();
      if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
      if (m.rss > peakRss) peakRss = m.rss;
    };
    t = performance.now();
    const { result } = runScenario(sc, {
      prepare: (w) => {
        w.clock.at(31000, () => { const e = w.link("wan0").effects.find((x) => x.kind === "trace"); if (e?.kind === "trace") cursor = e.cursor; });
        w.clock.after(600000, sample, 600000);
      },
    });
    const runS = (performance.now() - t) / 1000;
    sample();
    const c = cursor as TraceCursor | null;
    console.log(`  check (one pass over the file): ${checkS.toFixed(1)} s; replay of 24 h under the firmware: ${runS.toFixed(1)} s wall, ` +
      `${result.failovers} failovers`);
    console.log(`  rows read ${c?.rowsRead.toLocaleString("en") ?? "-"}, most rows held at once ${c?.maxWindow ?? "-"}; ` +
      `heap ${mb(heap0)} before, peak ${mb(peakHeap)} (sampled every 10 simulated min); rss ${mb(rss0)} before, peak ${mb(peakRss)}`);
    console.log(`  (the old loader refused this file: its cap was 5 MB; held whole as three Float64Arrays it would be ${mb(rows * 3 * 8)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
