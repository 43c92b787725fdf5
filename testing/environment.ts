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
