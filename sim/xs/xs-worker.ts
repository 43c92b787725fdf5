// A synchronous host for an XS worker (the xsnap-worker binary that @agoric/xsnap compiles from
// Moddable's XS sources on install). It speaks xsnap's netstring protocol on fds 3 and 4, over two
// FIFOs opened with blocking reads, so the simulator can call into XS and get the answer before its
// virtual clock moves on: the world stays synchronous and runs events in exactly the Node order.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

export interface Meter {
  /** XS heap slots in use after the crank. */
  currentHeapCount: number;
  /** Metered computation of the crank. */
  compute: number;
  /** Bytes XS has allocated for chunks and slots. */
  allocate: number;
}

const OK = 0x2e, ERROR = 0x21, QUERY = 0x3f;

export function xsnapWorkerPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@agoric/xsnap/package.json");
  const bin = join(pkg, "..", "xsnap-native/xsnap/build/bin/lin/release/xsnap-worker");
  if (!existsSync(bin)) throw new Error(`no XS worker at ${bin}: run npm ci (it builds XS from source with make and gcc)`);
  return bin;
}

export class XsWorker {
  #child: ChildProcess;
  #dir: string;
  #to: number;
  #from: number;
  #buf = Buffer.alloc(1 << 16);
  #have = 0;
  #start = 0;
  #onQuery: (message: string) => string;
  lastMeter: Meter = { currentHeapCount: 0, compute: 0, allocate: 0 };

  constructor(onQuery: (message: string) => string, meteringLimit = 1e8) {
    this.#onQuery = onQuery;
    this.#dir = mkdtempSync(join(tmpdir(), "xs-"));
    const toPath = join(this.#dir, "to"), fromPath = join(this.#dir, "from");
    execFileSync("mkfifo", [toPath, fromPath]);
    // The shell opens the FIFOs as the worker's fds 3 and 4; our opens pair with its opens.
    this.#child = spawn("sh", ["-c", `exec "$0" firmware -l ${meteringLimit} 3<"$1" 4>"$2"`, xsnapWorkerPath(), toPath, fromPath],
      { stdio: ["ignore", "inherit", "inherit"] });
    this.#to = openSync(toPath, "w");
    this.#from = openSync(fromPath, "r");
  }

  /** Evaluate a script (the firmware bundle). */
  evaluate(code: string): Meter {
    this.#send("e", code);
    return this.#runToIdle().meter;
  }

  /** Deliver a command to the worker's handleCommand; guest queries are answered meanwhile. */
  command(message: string): { reply: string; meter: Meter } {
    this.#send("?", message);
    return this.#runToIdle();
  }

  close(): void {
    try { closeSync(this.#to); } catch { /* already closed */ }
    try { closeSync(this.#from); } catch { /* already closed */ }
    this.#child.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #runToIdle(): { reply: string; meter: Meter } {
    for (;;) {
      const msg = this.#readNetstring();
      if (msg.length === 0) throw new Error("xsnap protocol error: empty message");
      const kind = msg[0];
      if (kind === OK) {
        const sep = msg.indexOf(1, 1);
        if (sep >= 0) this.lastMeter = JSON.parse(msg.subarray(1, sep).toString("utf8")) as Meter;
        return { reply: msg.subarray(sep < 0 ? 1 : sep + 1).toString("utf8"), meter: this.lastMeter };
      }
      if (kind === ERROR) throw new Error("XS: " + msg.subarray(1).toString("utf8"));
      if (kind === QUERY) {
        this.#send("/", this.#onQuery(msg.subarray(1).toString("utf8")));
        continue;
      }
      throw new Error("xsnap protocol error: unknown message " + msg.subarray(0, 40).toString("utf8"));
    }
  }

  #send(prefix: string, body: string): void {
    const payload = Buffer.from(prefix + body, "utf8");
    const out = Buffer.concat([Buffer.from(`${payload.length}:`), payload, Buffer.from(",")]);
    let off = 0;
    while (off < out.length) off += writeSync(this.#to, out, off, out.length - off);
  }

  #fill(): void {
    if (this.#start > 0 && this.#start === this.#have) this.#start = this.#have = 0;
    if (this.#have === this.#buf.length) {
      const bigger = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, this.#start, this.#have);
      this.#have -= this.#start;
      this.#start = 0;
      this.#buf = bigger;
    }
    const n = readSync(this.#from, this.#buf, this.#have, this.#buf.length - this.#have, null);
    if (n === 0) throw new Error("XS worker exited");
    this.#have += n;
  }

  #readNetstring(): Buffer {
    let colon: number;
    while ((colon = this.#buf.indexOf(0x3a, this.#start)) < 0 || colon >= this.#have) this.#fill();
    const len = Number(this.#buf.toString("ascii", this.#start, colon));
    const end = colon + 1 + len;
    while (this.#have < end + 1) this.#fill();
    const msg = Buffer.from(this.#buf.subarray(colon + 1, end));
    this.#start = end + 1; // skip ','
    return msg;
  }
}
