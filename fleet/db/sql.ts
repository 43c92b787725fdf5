// The one database interface the fleet side uses, on two engines that speak the same SQL:
// PostgreSQL through node-postgres (production, the tests, CI) and PGlite, PostgreSQL compiled to
// WebAssembly, in this process (the zero-install default of `npm start`).
import { chmodSync, mkdirSync } from "node:fs";
import type { Pool, PoolClient } from "pg";

export interface Queryable {
  /** One statement with $1.. parameters; rows as plain objects. */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Sql extends Queryable {
  readonly engine: "postgres" | "pglite";
  /** Where the data is, for the log line (never a password). */
  readonly where: string;
  /** `fn`'s statements in one transaction on one connection; rolled back if it throws. */
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//.test(spec);
}

/** `postgres://...` opens PostgreSQL; `memory:` an in-memory PGlite; anything else is a PGlite data directory. */
export async function openDatabase(spec: string, poolSize = 4): Promise<Sql> {
  return isPostgresUrl(spec) ? openPostgres(spec, poolSize) : openPglite(spec);
}

async function openPostgres(url: string, poolSize: number): Promise<Sql> {
  const pg = (await import("pg")).default;
  const pool: Pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: "fleet-collector" });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const u = new URL(url);
  const where = `postgres ${u.hostname}:${u.port || 5432}${u.pathname}`;
  const on = (c: Pool | PoolClient): Queryable => ({
    query: async <R>(text: string, params?: readonly unknown[]) => (await c.query(text, params as unknown[])).rows as R[],
    exec: async (text: string) => { await c.query(text); },
  });
  const base = on(pool);
  // Fail now, saying where, rather than at the first message.
  await base.query("SELECT 1").catch(async (e: Error) => {
    await pool.end().catch(() => {});
    throw new Error(`database ${where}: ${e.message}`);
  });
  return {
    engine: "postgres", where, ...base,
    async transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A server that ends the connection while it is checked out (a restart, pg_terminate_backend)
      // makes the client emit 'error', which the pool listens for only on idle clients: without a
      // listener here it would crash the process. The failing query reports it; the client is discarded.
      let broken = false;
      const onError = () => { broken = true; };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const out = await fn(on(client));
        await client.query("COMMIT");
        return out;
      } catch (e) {
        await client.query("ROLLBACK").catch(() => { broken = true; });
        throw e;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(spec: string): Promise<Sql> {
  const { PGlite } = await import("@electric-sql/pglite");
  const memory = spec === "memory:" || spec === "memory";
  // The fleet's whole history is in there: readable by this user only, whatever modes PGlite's
  // files get (it made them 0666 under a permissive umask).
  if (!memory) { mkdirSync(spec, { recursive: true, mode: 0o700 }); chmodSync(spec, 0o700); }
  const db = memory ? await PGlite.create() : await PGlite.create(spec);
  type Tx = { query: typeof db.query; exec: typeof db.exec };
  const on = (c: Tx): Queryable => ({
    query: async <R>(text: string, params?: readonly unknown[]) => (await c.query<R>(text, params as unknown[])).rows,
    exec: async (text: string) => { await c.exec(text); },
  });
  return {
    engine: "pglite", where: memory ? "pglite (in memory)" : `pglite ${spec}`, ...on(db),
    transaction: <T>(fn: (q: Queryable) => Promise<T>) => db.transaction((tx) => fn(on(tx as unknown as Tx))),
    close: () => db.close(),
  };
}
