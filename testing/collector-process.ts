// A collector as its own process (dist/collector.js), so a test can kill it with SIGKILL.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Identity } from "../fleet/broker/credentials";
import { REPO_ROOT } from "../fleet/paths";

export interface CollectorProcess {
  proc: ChildProcess;
  httpUrl: string;
  log: () => string;
  /** kill -9: no flush, no goodbye to the broker. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
  metric(name: string): Promise<number>;
}

const SCRIPT = join(REPO_ROOT, "dist/collector.js");

export async function spawnCollector(broker: string, db: string, who: Identity, extra: string[] = []): Promise<CollectorProcess> {
  const proc = spawn(process.execPath, [SCRIPT, "--broker", broker, "--db", db, "--username", who.username, "--http-port", "0", ...extra],
    { env: { ...process.env, COLLECTOR_PASSWORD: who.password }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d) => { out += d; });
  proc.stderr?.on("data", (d) => { out += d; if (out.length > 100000) out = out.slice(-50000); });
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`collector ${who.username} did not start:\n${out}`)), 30000);
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]); }
    };
    proc.stdout?.on("data", check);
    proc.once("exit", (code) => { clearTimeout(t); reject(new Error(`collector ${who.username} exited ${code}:\n${out}`)); });
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  // A test or bench that dies first takes its collectors with it.
  const orphanGuard = () => { if (proc.exitCode === null) proc.kill("SIGKILL"); };
  process.once("exit", orphanGuard);
  void exited.then(() => process.off("exit", orphanGuard));
  return {
    proc, httpUrl, log: () => out,
    async kill9() { if (proc.exitCode === null) { proc.kill("SIGKILL"); await exited; } },
    async stop() { if (proc.exitCode === null) { proc.kill("SIGTERM"); await exited; } },
    async metric(name: string) {
      const text = await (await fetch(httpUrl + "/metrics")).text();
      let sum = 0;
      for (const line of text.split("\n")) if (line.startsWith(name + " ") || line.startsWith(name + "{")) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
      return sum;
    },
  };
}
