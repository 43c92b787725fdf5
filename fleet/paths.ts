// Where the repository is, from wherever the bundle runs (dist/, dist/tests/ or the sources).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRepo(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "fleet/migrations"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the repository (fleet/migrations) above " + fileURLToPath(import.meta.url));
}

export const REPO_ROOT = findRepo();
export const MIGRATIONS_DIR = join(REPO_ROOT, "fleet/migrations");
