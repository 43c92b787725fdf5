// The human-readable report of a scenario run.
import type { ScenarioResult } from "./run-scenario";
import type { LoggedEvent } from "../world/world";

export function describeEvent(e: LoggedEvent): string {
  const t = (e.atMs / 1000).toFixed(3).padStart(10) + "s";
  switch (e.type) {
    case "initial": case "failover": case "failback":
      return `${t}  ${e.type.toUpperCase().padEnd(9)} ${e.from ?? "-"} -> ${e.to}  (${e.reason})`;
    case "link-state":
      return `${t}  link      ${e.link}: ${e.from} -> ${e.to}  (${e.reason})`;
    case "dampened":
      return `${t}  dampened  ${e.link}: penalty ${e.penalty}, reusable in ${(e.reuseInMs / 1000).toFixed(0)} s`;
    case "no-uplink":
      return `${t}  NO UPLINK (active ${e.link ?? "none"})`;
    case "watchdog":
      return `${t}  watchdog  ${e.action}: ${e.detail}`;
    case "boot":
      return `${t}  boot #${e.boots}${e.safeMode ? " SAFE MODE" : ""}, config v${e.configVersion}`;
    case "config-rejected":
      return `${t}  config rejected (${e.source}): ${e.error}`;
    case "config-applied":
      return `${t}  config v${e.version} applied`;
    case "config-rolled-back":
      return `${t}  config v${e.version} ROLLED BACK to v${e.restored}: ${e.reason}`;
    case "cmd-rejected":
      return `${t}  command ${e.cmd} rejected: ${e.error}`;
    case "pinned":
      return `${t}  pinned to ${e.link} for ${(e.holdMs / 1000).toFixed(0)} s`;
    case "budget":
      return `${t}  data budget ${e.action} on ${e.link}: ${e.detail}`;
  }
}

const ms = (xs: number[]) => xs.length === 0 ? "-" : xs.map((x) => Math.round(x)).join(", ");

export function summarize(r: ScenarioResult): string {
  const lines = [`scenario ${r.scenario} (seed ${r.seed}, ${(r.durationMs / 1000).toFixed(0)} s simulated)`, ""];
  for (const e of r.events) lines.push(describeEvent(e));
  lines.push("");
  lines.push(`failovers ${r.failovers}, failbacks ${r.failbacks}, false failovers ${r.falseFailovers}`);
  lines.push(`detection ms: ${ms(r.detectionMs)}${r.undetectedFaults ? `  (undetected faults: ${r.undetectedFaults})` : ""}`);
  lines.push(`probe bytes: ${Object.entries(r.probeBytes).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  lines.push(`heartbeats ${r.heartbeats}, gap across failovers ms: ${ms(r.heartbeatGapMs)}, events lost ${r.eventsLost}`);
  if (r.linkResets.length) {
    const per = new Map<string, { n: number; ms: number }>();
    for (const x of r.linkResets) {
      const p = per.get(x.link) ?? { n: 0, ms: 0 };
      p.n++;
      p.ms += x.costMs;
      per.set(x.link, p);
    }
    lines.push(`link resets: ${r.linkResets.length} (${[...per].map(([l, p]) => `${l} ${p.n}, ${(p.ms / 1000).toFixed(0)} s down`).join("; ")})`);
  }
  if (r.reboots.length) lines.push(`reboots: ${r.reboots.map((b) => `${(b.atMs / 1000).toFixed(1)}s ${b.reason}`).join("; ")}`);
  lines.push(`active at end: ${r.finalActive ?? "none"}`);
  return lines.join("\n");
}

/** The contract's JSON: the events keep every field the firmware reported. */
export function toJson(r: ScenarioResult): string {
  return JSON.stringify(r);
}
