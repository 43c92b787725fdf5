// What the broker and browser tests actually ran on, so the run can say so at its end.
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Broker } from "../fleet/broker/broker";

// One file per `node --test` run: the test files are its children, so they share its pid as ppid.
const FILE = join(tmpdir(), `uplink-router-test-env-${process.ppid}.txt`);

export function recordBrokerKind(b: Broker): void {
  appendFileSync(FILE, `broker ${b.kind} ${b.version}\n`);
}

export function recordBrowser(what: string): void {
  appendFileSync(FILE, `browser ${what}\n`);
}

export function recorded(): string[] {
  return existsSync(FILE) ? [...new Set(readFileSync(FILE, "utf8").split("\n").filter(Boolean))] : [];
}

export function recordDevice(what: string): void {
  appendFileSync(FILE, `device ${what}\n`);
}

/** The run's record, removed once the last file has said what it ran on (nothing left in the temp dir). */
export function forget(): void {
  rmSync(FILE, { force: true });
}

/**
 * What is wrong with a run's record: a broker test that fell back to the embedded broker while
 * Mosquitto was installed (only TEST_BROKER=embedded asks for it), none on Mosquitto under CI, or
 * a line that is no record at all.
 */
export function environmentProblems(lines: readonly string[], env: { ci: boolean; mosquitto: boolean; testBroker?: string }): string[] {
  const problems: string[] = [];
  for (const l of lines) if (!/^(broker (mosquitto|embedded)|browser|device) /.test(l)) problems.push(`not a record: '${l}'`);
  const embedded = lines.filter((l) => l.startsWith("broker embedded"));
  if (embedded.length && (env.ci || (env.mosquitto && env.testBroker !== "embedded"))) {
    problems.push(`broker tests fell back to the embedded broker (${embedded.join("; ")}) though ${env.ci ? "CI=true" : "Mosquitto is installed"}`);
  }
  if (env.ci && !lines.some((l) => l.startsWith("broker mosquitto"))) {
    problems.push(`CI=true but no broker test ran on Mosquitto (${lines.join("; ") || "nothing recorded"})`);
  }
  return problems;
}
