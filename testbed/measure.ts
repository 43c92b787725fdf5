// What a user behind the router felt, from what the server received: pure functions of the
// records, so that the table is recomputable and testable without a network.
import type { Arrivals, BrokerEvent, ClientStatus } from "./bed";
import type { RouteChange } from "./systems/system";

/**
 * The longest silence in the stream between `from` and `to` (wall ms): the time between two
 * consecutive arrivals, counting from the last arrival before `from` and up to `to` if nothing
 * arrived after the last one (a stream that never came back is silent until the window ends).
 */
export function longestGap(a: Arrivals, from: number, to: number): number {
  let last = -1;
  let longest = 0;
  for (const t of a.at) {
    if (t < from) { last = t; continue; }
    if (t > to) break;
    if (last >= 0) longest = Math.max(longest, t - last);
    last = t;
  }
  if (last >= 0) longest = Math.max(longest, to - last);
  return longest;
}

/** Where the stream came from at the end of a window: the source address of its last packets. */
export function sourceAt(a: Arrivals, until: number): string | null {
  for (let i = a.at.length - 1; i >= 0; i--) if (a.at[i] <= until) return a.from[i];
  return null;
}

/** What happened to the TCP connections opened before the fault. */
export function heldFate(s: ClientStatus, faultAt: number, end: number): string {
  const fates = s.held.map((h) => {
    if (h.endedAt !== null && h.endedAt >= faultAt) return `${h.how} after ${h.endedAt - faultAt} ms`;
    if (h.endedAt !== null) return `${h.how} before the fault`;
    if (h.lastEchoAt > faultAt + 1000) return "alive";
    return `hung (no echo for ${end - Math.max(h.lastEchoAt, faultAt)} ms)`;
  });
  return [...new Set(fates)].join("; ");
}

export function firstEventAfter(events: readonly BrokerEvent[], type: string, after: number): BrokerEvent | undefined {
  return events.find((e) => e.type === type && e.at >= after);
}

export function switchesBetween(changes: readonly RouteChange[], from: number, to: number): RouteChange[] {
  return changes.filter((c) => c.at >= from && c.at <= to);
}
