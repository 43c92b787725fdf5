// Running the kernel's own tools in a network namespace, bounded in time. Every command's
// failure is an error that names the command and what it printed: a testbed that half-built its
// network would measure nothing.
import { spawnSync } from "node:child_process";

const TIMEOUT_MS = 10000;

export function sh(cmd: string, args: readonly string[], opts: { allowFail?: boolean; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: TIMEOUT_MS, input: opts.input });
  if (!opts.allowFail && (r.error || r.status !== 0)) {
    throw new Error(`${cmd} ${args.join(" ")}: ${r.error?.message ?? ((r.stderr || r.stdout).trim() || "exit " + r.status)}`);
  }
  return r.stdout ?? "";
}

/** `cmd args` inside namespace `ns`. */
export function inNs(ns: string, cmd: string, args: readonly string[], opts: { allowFail?: boolean } = {}): string {
  return sh("ip", ["netns", "exec", ns, cmd, ...args], opts);
}

/** What the testbed needs that this machine lacks, or null. */
export function missingForTestbed(): string | null {
  if (process.getuid?.() !== 0) return "not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)";
  for (const [tool, pkg] of [["ip", "iproute2"], ["iptables", "iptables"], ["conntrack", "conntrack"], ["tc", "iproute2"],
    ["mosquitto", "mosquitto"], ["xvfb-run", "xvfb"], ["cc", "build-essential"]] as const) {
    const found = spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`], { encoding: "utf8" }).status === 0;
    if (!found) return `${tool} not installed (apt-get install ${pkg})`;
  }
  const probe = `tbprobe-${process.pid}`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (r.status !== 0) return `network namespaces do not work here: ${r.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return null;
}
