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

/** node hardware/build/device-build.mjs <args>, killed after `timeoutMs`. */
export function deviceBuild(root: string, args: string[], timeoutMs: number): Promise<BuildResult> {
  const t0 = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(root, "hardware/build/device-build.mjs"), ...args], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => { output = (output + d.toString()).slice(-200000); };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      output += `\n(device-build killed after ${timeoutMs} ms)`;
      try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ }
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolvePromise({ ok: code === 0, output, seconds: (Date.now() - t0) / 1000 });
    });
  });
}
