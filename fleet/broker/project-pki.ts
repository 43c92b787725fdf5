// The project CA on disk (`npm run pki`): a private directory outside the repository holding the
// CA's key and certificate and the broker's key and certificate for Mosquitto's
// cafile/certfile/keyfile. Device keys are made from it by `npm run provision`.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Pki } from "./pki";
import { ensurePrivateDir } from "./private-dir";

export function defaultPkiDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "uplink-router", "pki");
}

export function loadProjectPki(dir: string): Pki {
  const ca = join(dir, "ca.pem"), key = join(dir, "ca.key");
  if (!existsSync(ca) || !existsSync(key)) throw new Error(`${dir} holds no project CA (ca.pem, ca.key): run npm run pki -- --dir ${dir}`);
  return Pki.load(readFileSync(ca, "utf8"), readFileSync(key, "utf8"));
}

export { ensurePrivateDir };
