// A real blackhole for one loopback address: an iptables rule dropping every packet sent to it
// (loopback traffic passes OUTPUT), tagged so that this run removes exactly its own rules.
import { spawnSync } from "node:child_process";

export function iptablesUsable(): string | null {
  if (process.getuid?.() !== 0) return "not root (iptables needs CAP_NET_ADMIN)";
  const r = spawnSync("iptables", ["-w", "-n", "-L", "OUTPUT"], { encoding: "utf8", timeout: 10000 });
  if (r.error) return "iptables not installed (apt-get install iptables)";
  if (r.status !== 0) return `iptables does not work here: ${(r.stderr || "").trim()}`;
  return null;
}

export class Blackholes {
  readonly #tag = `uplink-router-device-test-${process.pid}`;
  readonly #active = new Set<string>();

  #rule(op: "-I" | "-D", address: string): void {
    const r = spawnSync("iptables", ["-w", op, "OUTPUT", "-d", address, "-m", "comment", "--comment", this.#tag, "-j", "DROP"],
      { encoding: "utf8", timeout: 10000 });
    if (r.status !== 0) throw new Error(`iptables ${op} ${address} failed: ${r.stderr || r.error?.message}`);
  }

  cut(address: string): void {
    if (this.#active.has(address)) return;
    this.#rule("-I", address);
    this.#active.add(address);
  }

  restore(address: string): void {
    if (!this.#active.has(address)) return;
    this.#rule("-D", address);
    this.#active.delete(address);
  }

  restoreAll(): void {
    for (const a of [...this.#active]) {
      try { this.restore(a); } catch { /* reported by the caller's own failure */ }
    }
  }
}
