// A throwaway PostgreSQL cluster for a test or the bench: initdb in a temp directory, the server on
// a free loopback port and a private socket directory, stopped and deleted afterwards. Postgres
// refuses to run as root, so as root the cluster belongs to the `postgres` user (Debian's package
// creates it) and the server is spawned with that uid.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../fleet/broker/free-port";

export function postgresBin(): string | null {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, "postgres"))) return fromEnv;
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, "bin/postgres"))).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v postgres"], { encoding: "utf8" });
  return which.status === 0 ? join(which.stdout.trim(), "..") : null;
}

function account(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root and there is no 'postgres' user to own the test cluster (apt-get install postgresql creates it)");
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export interface PostgresServer {
  url: string;
  port: number;
  version: string;
  /** A new empty database on this server; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** `durable` keeps fsync on (the bench); tests run without it. */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const dir = mkdtempSync(join(tmpdir(), "fleet-pg-"));
  const data = join(dir, "data");
  const who = account();
  if (who) chownSync(dir, who.uid, who.gid);
  const as = who ? { uid: who.uid, gid: who.gid } : {};
  const init = spawnSync(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
    { encoding: "utf8", ...as, cwd: dir });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  const port = await freePort();
  const args = ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=50",
    "-c", "shared_buffers=128MB", "-c", "log_min_messages=warning"];
  if (!opts.durable) args.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  const proc: ChildProcess = spawn(join(bin, "postgres"), args, { stdio: ["ignore", "ignore", "pipe"], ...as, cwd: dir });
  let err = "";
  proc.stderr?.on("data", (d) => { err += d; if (err.length > 20000) err = err.slice(-10000); });
  // If this process dies first (a crash, a closed pipe), take the server and its files with it.
  const orphanGuard = () => { if (proc.exitCode === null) proc.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }); };
  process.once("exit", orphanGuard);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pg = (await import("pg")).default;
  const until = Date.now() + 20000;
  for (;;) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      await c.end().catch(() => {});
      if (proc.exitCode !== null || Date.now() > until) {
        proc.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`postgres did not start on port ${port}: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const v = spawnSync(join(bin, "postgres"), ["--version"], { encoding: "utf8" }).stdout.trim();
  return {
    url, port, version: v,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error("database names here are lowercase words");
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop(): Promise<void> {
      process.off("exit", orphanGuard);
      if (proc.exitCode === null) {
        // SIGINT: fast shutdown (clients are disconnected, no waiting for them).
        await new Promise<void>((resolve) => { proc.once("exit", () => resolve()); proc.kill("SIGINT"); });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The skip rule of the repo: absent PostgreSQL skips with one line, except under CI=true. */
export function postgresOrSkip(t: { skip(msg: string): void }): boolean {
  if (postgresBin()) return true;
  if (process.env.CI === "true") throw new Error("CI=true but PostgreSQL is not installed (apt-get install postgresql)");
  t.skip("PostgreSQL not installed (apt-get install postgresql): history tests on PostgreSQL skipped");
  return false;
}
