// Where secrets live while a tool runs: a directory only this user can enter (0700), outside
// the repository (so nothing secret is ever committed or served), files 0600, removed on exit.
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, isAbsolute } from "node:path";
import { REPO_ROOT as REPO } from "../paths";
import { cleanupOnExit } from "./exit-cleanup";

export class PrivateDir {
  readonly path: string;
  #removed = false;
  #unregister: () => void;

  /** A new directory under the system's temp dir (or $XDG_RUNTIME_DIR, which is per-user). */
  constructor(prefix: string, parent = process.env.XDG_RUNTIME_DIR || tmpdir()) {
    this.path = mkdtempSync(join(parent, prefix));
    chmodSync(this.path, 0o700);
    // However the process ends (short of SIGKILL), the secrets go with it.
    this.#unregister = cleanupOnExit(() => this.remove());
  }

  /** Write a secret: 0600 from the moment it exists (mode applies at creation). */
  write(name: string, data: string | Uint8Array): string {
    const p = join(this.path, name);
    writeFileSync(p, data, { mode: 0o600 });
    chmodSync(p, 0o600);
    return p;
  }

  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#unregister();
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Refuse a place for secrets inside the repository (it would be one `git add` away from a commit). */
export function assertOutsideRepo(dir: string): void {
  const abs = resolve(dir);
  let real = abs;
  try { real = realpathSync(abs); } catch { /* not yet made */ }
  for (const p of [abs, real]) {
    const rel = relative(realpathSync(REPO), p);
    if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) throw new Error(`${dir} is inside the repository; keep keys and passwords outside it`);
  }
}

/** A directory for long-lived secrets (the project CA): made 0700 if new, refused if others can enter. */
export function ensurePrivateDir(dir: string): string {
  assertOutsideRepo(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) throw new Error(`${dir} is open to other users (mode ${mode.toString(8)}); chmod 700 it first`);
  return dir;
}
