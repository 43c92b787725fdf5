// Commands for virtual runs, dated the way the fleet console dates them: every cmd/* must carry
// epoch and expiresAtMs (the firmware refuses an undated one), config/set need not. In a virtual
// run the router's uptime is the run's clock, so "now" is the message's atMs.
import type { FleetMessage } from "../sim/scenario/load-scenario";

/** How long a test's command lives: what the console gives (COMMAND_TTL_MS). */
export const TEST_COMMAND_TTL_MS = 60000;

/** `payload` dated for boot `epoch` at uptime atMs, expiring TEST_COMMAND_TTL_MS later; its own epoch or expiresAtMs win. */
export function dated(atMs: number, payload: Record<string, unknown>, epoch = 1): Record<string, unknown> {
  return { epoch, expiresAtMs: atMs + TEST_COMMAND_TTL_MS, ...payload };
}

/** A dated cmd/<name> sent at atMs (boot 1 unless told: a run's boot number grows with each reboot). */
export function commandAt(atMs: number, name: string, payload: Record<string, unknown>, epoch = 1): FleetMessage {
  return { atMs, topic: "cmd/" + name, payload: dated(atMs, payload, epoch) };
}
