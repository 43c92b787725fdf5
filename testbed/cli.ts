// npm run testbed [-- --json] [--fault NAME] [--system firmware|dpinger]
// Builds the network namespaces of a small site (testbed/topology.ts), runs the firmware (the lin
// build as a real router) and pfSense's dpinger side by side on two copies of it, makes each
// fault with the kernel's tools, and reports what the LAN's user felt. Root only; everything it
// makes is removed on exit, Ctrl-C or the next start after a crash.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Bed } from "./bed";
import { FAULTS, type FaultPlan } from "./faults";
import { missingForTestbed } from "./ns";
import { releaseMachine, removeStale, takeMachine } from "./topology";
import { runCase, type CaseResult } from "./run-case";
import { Firmware } from "./systems/firmware";
import { Dpinger } from "./systems/dpinger";
import type { System } from "./systems/system";
import { twinDecisions } from "./sim-twin";
import { REPO_ROOT } from "../fleet/paths";

const USAGE = `usage: npm run testbed -- [--json] [--fault NAME] [--system firmware|dpinger]
  --json          one JSON object on stdout: {"cases":[...]}, nothing else (progress goes to stderr)
  --fault NAME    one fault: ${FAULTS.map((f) => f.name).join(", ")}
  --system NAME   one system: firmware or dpinger (default: both, side by side)
Needs root, iproute2, iptables, conntrack, tc, mosquitto, xvfb-run, a C compiler and the Moddable SDK
(see README "The data plane").`;

interface Options { json: boolean; faults: FaultPlan[]; systems: Array<"firmware" | "dpinger"> }

function parse(argv: string[]): Options {
  const o: Options = { json: false, faults: [...FAULTS], systems: ["firmware", "dpinger"] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--json") o.json = true;
    else if (a === "--help" || a === "-h") { process.stdout.write(USAGE + "\n"); process.exit(0); }
    else if (a === "--fault") {
      const name = value();
      const f = FAULTS.find((x) => x.name === name);
      if (!f) fail(`--fault ${name}: unknown; one of ${FAULTS.map((x) => x.name).join(", ")}`);
      o.faults = [f!];
    } else if (a === "--system") {
      const s = value();
      if (s !== "firmware" && s !== "dpinger") fail(`--system ${s}: unknown; firmware or dpinger`);
      o.systems = [s as "firmware" | "dpinger"];
    } else fail(`unknown flag ${a}`);
  }
  return o;
}

function fail(message: string): never {
  process.stderr.write(`testbed: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const beds: Bed[] = [];
const systems: System[] = [];
let cleaning: Promise<void> | null = null;
let siteQueue: Promise<unknown> = Promise.resolve();

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled(systems.map((s) => s.stop()));
    await Promise.allSettled(beds.map((b) => b.close()));
    releaseMachine();
  })();
  return cleaning;
}

/** One system's cases: one after another on one site, or each on a site of its own. */
async function runSystem(make: (n: number) => System, id: number, faults: FaultPlan[], progress: (s: string) => void): Promise<CaseResult[]> {
  const onSite = async (system: System, siteId: number, plans: FaultPlan[]): Promise<CaseResult[]> => {
    systems.push(system);
    await system.prepare();
    // Sites are made one at a time: a dozen programs starting at once beside a firmware build
    // on two cores took more than their 15 s to say they were ready.
    const made = siteQueue.then(() => Bed.start(String(siteId), agentPath()));
    siteQueue = made.catch(() => {});
    const bed = await made;
    beds.push(bed);
    const rows: CaseResult[] = [];
    for (const plan of plans) rows.push(...await runCase(bed, system, plan, progress));
    return rows;
  };
  const first = make(0);
  progress(`${first.name}: building`);
  if (!first.parallelCases) return onSite(first, id, faults);
  const results = await Promise.all(faults.map((plan, i) => onSite(i === 0 ? first : make(i), id + i, [plan])));
  return results.flat();
}

/**
 * The agent, copied out of dist/ once: a rebuild (which empties dist/) during a run must not take
 * the program every case starts from under it. Its packages resolve from the repository's
 * node_modules, as the copy stays inside the repository.
 */
let agentCopy = "";
function agentPath(): string {
  if (agentCopy) return agentCopy;
  const p = join(REPO_ROOT, "dist/testbed-agent.js");
  if (!existsSync(p)) throw new Error(`${p} missing: run npm run build first`);
  const dir = join(REPO_ROOT, "build/testbed");
  mkdirSync(dir, { recursive: true });
  agentCopy = join(dir, "agent.js");
  copyFileSync(p, agentCopy);
  return agentCopy;
}

function table(rows: Array<CaseResult & { simulator?: string[] }>): string {
  const head = ["fault", "system", "decision", "user outage", "via backup", "new TCP", "stale NAT", "switches", "broker event", "TCP held", "simulator"];
  const cells = rows.map((r) => [
    r.fault, r.system, r.decisionMs === null ? "-" : `${r.decisionMs} ms`, r.userOutageMs < 0 ? "-" : `${r.userOutageMs} ms`, r.streamViaBackup ? "yes" : "no",
    r.tcpNewConnectMs === null ? "-" : `${r.tcpNewConnectMs} ms`, String(r.staleNatEntries), String(r.switches),
    r.brokerEventMs === null ? "-" : `${r.brokerEventMs} ms`, r.tcpHeld,
    r.simulator === undefined ? "" : (r.simulator.join(",") === r.decisions.join(",") ? "same" : `sim ${r.simulator.join(",") || "none"} / real ${r.decisions.join(",") || "none"}`),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => "| " + c.map((x, i) => x.padEnd(widths[i])).join(" | ") + " |";
  return [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...cells.map(line)].join("\n");
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const missing = missingForTestbed();
  if (missing) {
    process.stderr.write(`testbed: cannot run: ${missing}\n`);
    process.exit(1);
  }
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => { process.stderr.write(`testbed: ${sig}, cleaning up\n`); void cleanup().then(() => process.exit(130)); });
  }
  agentPath();
  // Another run (a second terminal, a test suite) holds the machine: wait for it, bounded.
  const waitUntil = Date.now() + 30 * 60 * 1000;
  for (let holder = takeMachine(), said = false; holder !== null; holder = takeMachine()) {
    if (Date.now() > waitUntil) throw new Error(`another testbed (pid ${holder}) still runs after 30 min`);
    if (!said) process.stderr.write(`testbed: waiting for another testbed run (pid ${holder}) to finish\n`);
    said = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const stale = removeStale();
  if (stale.length) process.stderr.write(`testbed: removed ${stale.length} namespaces left by an earlier run\n`);
  const root = REPO_ROOT;
  const work = join(root, "build/testbed");
  const t0 = Date.now();
  const progress = (s: string) => process.stderr.write(`testbed [${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}\n`);
  const makers = o.systems.map((name) => (n: number): System =>
    name === "firmware" ? new Firmware(root, join(work, "firmware")) : new Dpinger(root, join(work, `dpinger-${n}`)));
  try {
    // Site numbers: the firmware's is 1, the other system's start after it, one per parallel case.
    const results = await Promise.all(makers.map((make, i) => runSystem(make, i === 0 ? 1 : 2, o.faults, progress)));
    const rows: Array<CaseResult & { simulator?: string[] }> = results.flat();
    for (const r of rows) {
      if (r.system !== "firmware" || r.fault.includes(":")) continue;
      const plan = FAULTS.find((f) => f.name === r.fault)!;
      const sim = twinDecisions(plan, plan.outage ? 60000 : 5000);
      r.simulator = sim;
      // The failback row's decisions are the sequel of the fault's: compare the whole sequence once.
      const back = rows.find((x) => x.system === "firmware" && x.fault === `${r.fault}: primary returns`);
      if (back) r.decisions = [...r.decisions, ...back.decisions];
    }
    progress(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (o.json) process.stdout.write(JSON.stringify({ cases: rows }) + "\n");
    else process.stdout.write(table(rows) + "\n");
  } finally {
    await cleanup();
  }
}

main().catch(async (e) => {
  process.stderr.write(`testbed: ${(e as Error).stack ?? String(e)}\n`);
  await cleanup();
  process.exit(1);
});
