// One fault, one system, one fresh start: the user's view of it, as figures.
import { applyFault, type FaultPlan } from "./faults";
import { firstEventAfter, heldFate, longestGap, sourceAt, switchesBetween } from "./measure";
import { ADDR, natEntriesTo, type Topology } from "./topology";
import type { Bed } from "./bed";
import type { System } from "./systems/system";

export interface CaseResult {
  fault: string;
  system: string;
  /** The longest gap in the client's stream as the server received it. */
  userOutageMs: number;
  /** The stream reached the server from the backup's address at the end of the fault. */
  streamViaBackup: boolean;
  /** From the fault to the first new TCP connection that completed (null: none in the window). */
  tcpNewConnectMs: number | null;
  /** LAN flows still translated to the uplink that does not hold the default route, at the end. */
  staleNatEntries: number;
  switches: number;
  /** From the fault to the system's first change of the default route (null: none): its decision time. */
  decisionMs: number | null;
  /** From the fault to the failover event at the broker (null: none, or no broker). */
  brokerEventMs: number | null;
  /** The TCP connections opened before the fault. */
  tcpHeld: string;
  /** The default route's changes, in order (compared with the simulator's decisions). */
  decisions: string[];
}

const AFTER_NUISANCE_MS = 5000;
/** pfSense's alarm clears only once the lost probes leave its 60 s window: about 50 s after a 20 s outage. */
const FAILBACK_WAIT_MS = 60000;
/** The failback's window: from just before the switch to a little after it. */
const FAILBACK_BEFORE_MS = 2000, FAILBACK_AFTER_MS = 3000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function stale(t: Topology, active: string | null): number {
  const other = active === "lte0" ? ADDR.wan0 : ADDR.lte0;
  return natEntriesTo(t, other);
}

export async function runCase(bed: Bed, system: System, plan: FaultPlan, progress: (s: string) => void): Promise<CaseResult[]> {
  bed.resetRouter();
  await bed.resetServer();
  await system.start(bed);
  try {
    await bed.startClient();
    await sleep(system.settleMs);
    const before = await bed.arrivals(Date.now() - 2000);
    if (sourceAt(before, Date.now()) !== ADDR.wan0) {
      throw new Error(`before the fault the stream should flow through wan0 (${ADDR.wan0}); it came from ${sourceAt(before, Date.now())}\n${system.tail()}`);
    }
    const faultAt = Date.now();
    progress(`${system.name}: ${plan.name} for ${plan.holdMs / 1000} s`);
    const clear = applyFault(bed.topology, plan.name);
    let restoreAt = 0;
    try {
      await bed.client!.ask({ op: "connect", since: faultAt });
      if (plan.name === "bufferbloat") await bed.client!.ask({ op: "upload", kbps: 3000, ms: plan.holdMs });
      await sleep(plan.holdMs);
    } finally {
      clear();
      restoreAt = Date.now();
    }
    const active = system.switches().at(-1)?.to ?? "wan0";
    const staleAtEnd = stale(bed.topology, active);
    const status = await bed.clientStatus();
    if (plan.outage) {
      // Until the system has moved the users back and the stream has run a while on the primary.
      const until = restoreAt + FAILBACK_WAIT_MS;
      for (;;) {
        const back = system.switches().find((c) => c.at >= restoreAt && c.to === "wan0");
        if (Date.now() >= until || (back && Date.now() >= back.at + FAILBACK_AFTER_MS + 500)) break;
        await sleep(250);
      }
    } else await sleep(AFTER_NUISANCE_MS);
    const end = Date.now();
    const arrivals = await bed.arrivals(faultAt - 5000);
    const { events } = await bed.events();
    const changes = system.switches();
    const during = switchesBetween(changes, faultAt, restoreAt);
    const failover = firstEventAfter(events, "failover", faultAt);
    const rows: CaseResult[] = [{
      fault: plan.name,
      system: system.name,
      // A dead primary: the outage is what the fault cost until the router moved the users (the
      // window ends at the restore, so a stream that never moved counts the whole fault).
      userOutageMs: longestGap(arrivals, faultAt, plan.outage ? restoreAt : restoreAt + AFTER_NUISANCE_MS),
      streamViaBackup: sourceAt(arrivals, restoreAt) === ADDR.lte0,
      tcpNewConnectMs: status.newConnectMs,
      staleNatEntries: staleAtEnd,
      switches: switchesBetween(changes, faultAt, end).length,
      decisionMs: during.length ? during[0].at - faultAt : null,
      brokerEventMs: system.name === "firmware" && failover && failover.at <= restoreAt ? failover.at - faultAt : null,
      tcpHeld: heldFate(status, faultAt, restoreAt),
      decisions: during.map((c) => c.to),
    }];
    if (plan.outage) {
      const back = changes.find((c) => c.at >= restoreAt && c.to === "wan0");
      rows.push({
        fault: `${plan.name}: primary returns`,
        system: system.name,
        userOutageMs: back ? longestGap(arrivals, back.at - FAILBACK_BEFORE_MS, Math.min(end, back.at + FAILBACK_AFTER_MS)) : -1,
        streamViaBackup: sourceAt(arrivals, end) === ADDR.lte0,
        tcpNewConnectMs: null,
        staleNatEntries: stale(bed.topology, changes.at(-1)?.to ?? "wan0"),
        switches: switchesBetween(changes, restoreAt, end).length,
        decisionMs: back ? back.at - restoreAt : null,
        brokerEventMs: null,
        tcpHeld: back ? `failback ${back.at - restoreAt} ms after the restore` : `no failback within ${FAILBACK_WAIT_MS / 1000} s`,
        decisions: switchesBetween(changes, restoreAt, end).map((c) => c.to),
      });
    }
    return rows;
  } finally {
    // TESTBED_TRACE=1: what the system said, for whoever is finding out why a figure is what it is.
    if (process.env.TESTBED_TRACE) {
      progress(`${system.name} said:\n${system.tail()}`);
      progress(`the broker saw: ${JSON.stringify((await bed.events()).events)}`);
    }
    await system.stop();
    await bed.client?.stop();
    bed.client = null;
  }
}
