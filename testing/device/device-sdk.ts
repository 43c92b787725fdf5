// Where the device tests find the Moddable SDK and how they build the app: the same script as
// `npm run device:build`, run as a child with a bounded time.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export function sdkSource(root: string): string | null {
  if (process.env.MODDABLE) return `$MODDABLE=${process.env.MODDABLE}`;
  const shared = resolve(root, "../shared/moddable-sdk/install.sh");
  return existsSync(shared) ? shared : null;
}

export function commandMissing(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status !== 0;
}

export interface BuildResult { ok: boolean; output: string; seconds: number }

function runChild(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<BuildResult> {
  const t0 = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => { output = (output + d.toString()).slice(-200000); };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      output += `\n(${cmd} killed after ${timeoutMs} ms)`;
      try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ }
    }, timeoutMs);
    // "close", not "exit": a quick build (the other device test just built the same tree) can
    // exit before its last lines are read, and the caller parses those lines.
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ ok: code === 0, output, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

/**
 * Where the tests build and run the lin app: the device test and the testbed share one build (the
 * prefs directory is compiled in), so the second only runs make over what the first left; they
 * run one after the other (npm test runs files one at a time, and the testbed holds its lock).
 */
export const LIN_APP = { out: "build/moddable/test/lin", prefs: "build/moddable/test/prefs" } as const;

/** node hardware/build/device-build.mjs <args> with $MODDABLE = `sdk`, killed after `timeoutMs`. */
export function deviceBuild(root: string, sdk: string, args: string[], timeoutMs: number): Promise<BuildResult> {
  return runChild(process.execPath, [join(root, "hardware/build/device-build.mjs"), ...args], root, { ...process.env, MODDABLE: sdk }, timeoutMs);
}

/**
 * The SDK's host tools: $MODDABLE as it is, or the shared subset built (and cached) by its
 * install.sh. Done once, before builds run side by side on the same tools.
 */
export async function ensureTools(root: string, timeoutMs: number): Promise<{ dir: string; seconds: number } | { error: string }> {
  if (process.env.MODDABLE) return { dir: process.env.MODDABLE, seconds: 0 };
  const script = resolve(root, "../shared/moddable-sdk/install.sh");
  const r = await runChild("bash", [script], root, process.env, timeoutMs);
  const dir = r.output.trim().split("\n").pop() ?? "";
  if (!r.ok || !existsSync(join(dir, "build/bin/lin/release/mcconfig"))) return { error: `${script} failed:\n${r.output.slice(-4000)}` };
  return { dir, seconds: r.seconds };
}
