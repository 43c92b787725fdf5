// The device build for lin, run headless: Moddable's mcsim under xvfb-run, in its own process
// group so that a Ctrl-C (SIGINT to the group) or a kill reaches the simulator, Xvfb and the
// wrapper at once. stdout is line-buffered (stdbuf) so traces arrive as they happen.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export interface Instruments {
  chunkUsed: number;
  chunkAvailable: number;
  /** Collections in the last sampling interval (one second). */
  collections: number;
  slotBytesUsed: number;
  slotBytesAvailable: number;
  keysUsed: number;
}

const MAX_LINES = 400;

export class LinApp {
  readonly lines: string[] = [];
  /** Wall-clock arrival of each line, parallel to `lines`. */
  readonly times: number[] = [];
  readonly instruments: Instruments[] = [];
  #proc: ChildProcess | null = null;
  #keys: string[] = [];
  #exited: Promise<number | null> = Promise.resolve(null);
  aborted: string | null = null;

  /** `wrap`: a command the app runs under, e.g. ["ip", "netns", "exec", "ns1"] (the testbed's router). */
  constructor(private readonly mcsim: string, private readonly lib: string, private readonly configHome: string,
    private readonly wrap: readonly string[] = []) {}

  get running(): boolean { return this.#proc !== null && this.#proc.exitCode === null && this.#proc.signalCode === null; }

  start(): void {
    if (this.running) throw new Error("already running");
    mkdirSync(this.configHome, { recursive: true });
    // mcsim copies the app library into its config directory: a private one per run.
    const env = { ...process.env, XDG_CONFIG_HOME: this.configHome, HOME: join(this.configHome, "home") };
    mkdirSync(env.HOME, { recursive: true });
    const argv = [...this.wrap, "xvfb-run", "-a", "stdbuf", "-oL", "-eL", this.mcsim, this.lib];
    const proc = spawn(argv[0], argv.slice(1), { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.#proc = proc;
    this.aborted = null;
    let partial = "";
    const take = (chunk: Buffer) => {
      partial += chunk.toString();
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) this.#line(line);
    };
    proc.stdout?.on("data", take);
    proc.stderr?.on("data", take);
    this.#exited = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
  }

  #line(line: string): void {
    this.lines.push(line);
    this.times.push(Date.now());
    if (this.lines.length > MAX_LINES) {
      this.lines.splice(0, this.lines.length - MAX_LINES);
      this.times.splice(0, this.times.length - MAX_LINES);
    }
    if (line.startsWith("instruments key: ")) this.#keys = line.slice(17).split(",");
    else if (line.startsWith("instruments: ")) {
      const v = line.slice(13).split(",").map(Number);
      const at = (name: string) => v[this.#keys.indexOf(name)] ?? NaN;
      this.instruments.push({
        chunkUsed: at("Chunk used"), chunkAvailable: at("Chunk available"), collections: at("Garbage collections"),
        slotBytesUsed: at("Slot used"), slotBytesAvailable: at("Slot available"), keysUsed: at("Keys used"),
      });
      if (this.instruments.length > 2000) this.instruments.splice(0, 1000);
    } else if (line.includes("XS abort")) this.aborted = line;
  }

  /** Lines (instrumentation aside) that arrived at or after `since` (Date.now() time). */
  since(since: number): string[] {
    return this.lines.filter((l, i) => this.times[i] >= since && !l.startsWith("instruments"));
  }

  tail(n = 40): string {
    return this.lines.filter((l) => !l.startsWith("instruments")).slice(-n).join("\n");
  }

  /** Ctrl-C: SIGINT to the group, as a terminal would; SIGKILL if it has not gone in `graceMs`. */
  async interrupt(graceMs = 5000): Promise<void> {
    await this.#signal("SIGINT", graceMs);
  }

  async kill(): Promise<void> {
    await this.#signal("SIGKILL", 5000);
  }

  async #signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.pid === undefined) return;
    const group = -proc.pid;
    try { process.kill(group, signal); } catch { /* already gone */ }
    const gone = await Promise.race([this.#exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
    if (!gone) {
      try { process.kill(group, "SIGKILL"); } catch { /* already gone */ }
      await Promise.race([this.#exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    // Xvfb may outlive the wrapper by a moment; the group kill above reaches it too.
    try { process.kill(group, "SIGKILL"); } catch { /* all gone */ }
    this.#proc = null;
  }
}
