// A testbed agent (agent.ts) or any program, run inside a namespace in its own process group, so
// that stopping it (or the orchestrator dying: its stdin closes) leaves nothing behind.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

const REPLY_MS = 15000;

export class NsProcess {
  readonly proc: ChildProcess;
  readonly output: string[] = [];
  #waiting: Array<(line: string) => void> = [];

  readonly what: string;

  constructor(ns: string, argv: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
    this.what = `${argv.slice(0, 3).join(" ")} in ${ns}`;
    this.proc = spawn("ip", ["netns", "exec", ns, ...argv], { detached: true, stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env });
    const lines = createInterface({ input: this.proc.stdout! });
    lines.on("line", (l) => {
      const w = this.#waiting.shift();
      if (w) w(l);
      else this.#keep(l);
    });
    createInterface({ input: this.proc.stderr! }).on("line", (l) => this.#keep(l));
    this.proc.stdin!.on("error", () => {});
  }

  #keep(line: string): void {
    this.output.push(line);
    if (this.output.length > 200) this.output.shift();
  }

  /** The next stdout line, as JSON. */
  next<T>(timeoutMs = REPLY_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w !== take);
        const state = this.proc.exitCode !== null ? `exited ${this.proc.exitCode}` : this.proc.signalCode ? `killed by ${this.proc.signalCode}` : "running";
        reject(new Error(`${this.what}: no answer in ${timeoutMs} ms (${state}); it said:\n${this.output.slice(-20).join("\n")}`));
      }, timeoutMs);
      const take = (line: string) => {
        clearTimeout(timer);
        try { resolve(JSON.parse(line) as T); } catch { reject(new Error(`not JSON: ${line.slice(0, 200)}`)); }
      };
      this.#waiting.push(take);
    });
  }

  ask<T>(cmd: Record<string, unknown>): Promise<T> {
    const reply = this.next<T>();
    this.proc.stdin!.write(JSON.stringify(cmd) + "\n");
    return reply;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once("exit", r));
    try { process.kill(-this.proc.pid!, "SIGKILL"); } catch { /* gone */ }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
  }
}
