// Schema migrations: fleet/migrations/NNN_name.sql, applied in name order, each recorded in
// schema_migrations. Collectors starting together take an advisory lock, so exactly one applies them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS_DIR } from "../paths";
import type { Sql } from "./sql";

const FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;
const LOCK_KEY = 7230413; // any constant; only fleet migrations take it

export function migrationFiles(dir = MIGRATIONS_DIR): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  const bad = files.find((f) => !FILE.test(f));
  if (bad) throw new Error(`${join(dir, bad)}: migration files are named NNN_lowercase_words.sql`);
  return files;
}

/** Apply the migrations not yet recorded; returns the names applied now. */
export async function migrate(db: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = migrationFiles(dir);
  return db.transaction(async (q) => {
    await q.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
    await q.exec("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const done = new Set((await q.query<{ name: string }>("SELECT name FROM schema_migrations")).map((r) => r.name));
    const unknown = [...done].filter((n) => !files.includes(n));
    if (unknown.length) throw new Error(`the database has migrations this code does not know (${unknown.join(", ")}): is the code older than the database?`);
    const applied: string[] = [];
    for (const f of files) {
      if (done.has(f)) continue;
      try {
        await q.exec(readFileSync(join(dir, f), "utf8"));
      } catch (e) {
        throw new Error(`migration ${f} failed: ${(e as Error).message}`);
      }
      await q.query("INSERT INTO schema_migrations (name) VALUES ($1)", [f]);
      applied.push(f);
    }
    return applied;
  });
}
