// Which of a run's events the firmware did not publish because its pacer held them back
// (src/telemetry/event-pacer.ts): the same pacer, fed the run's events in order with their own
// times, one pacer per boot (each boot's Telemetry starts a new one). A scenario's "lost" events
// are those neither published, still queued, nor paced.
import { EventPacer } from "../../src/telemetry/event-pacer";
import type { LoggedEvent } from "../world/world";

export function pacedEvents(events: readonly LoggedEvent[]): Set<LoggedEvent> {
  const paced = new Set<LoggedEvent>();
  let boot: number | null = null, at = 0;
  let pacer = new EventPacer(() => at);
  for (const e of events) {
    at = e.atMs;
    if (e.boot !== boot) { boot = e.boot; pacer = new EventPacer(() => at); }
    if (!pacer.allow(e.type, (e as { link?: string }).link)) paced.add(e);
  }
  return paced;
}
