// The project CA on disk (`npm run pki`): a private directory outside the repository holding the
// CA's certificate and its key, encrypted with a passphrase (ca.key), the revoked certificates
// (revoked.json), and in broker/ what Mosquitto reads and nothing else: ca.pem, server.pem,
// server.key, crl.pem (cafile, certfile, keyfile, crlfile). Device keys are made from it by
// `npm run provision`.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Pki } from "./pki";
import { ensurePrivateDir } from "./private-dir";

export function defaultPkiDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "uplink-router", "pki");
}

/** The CA passphrase: the first line of `file`, else $PKI_CA_PASSPHRASE (never a command-line argument: ps shows those). */
export function caPassphrase(file: string | null): string | undefined {
  if (file) return readFileSync(file, "utf8").split(/\r?\n/)[0];
  return process.env.PKI_CA_PASSPHRASE || undefined;
}

export function loadProjectPki(dir: string, passphrase = caPassphrase(null)): Pki {
  const ca = join(dir, "ca.pem"), key = join(dir, "ca.key");
  if (!existsSync(ca) || !existsSync(key)) throw new Error(`${dir} holds no project CA (ca.pem, ca.key): run npm run pki -- --dir ${dir}`);
  return Pki.load(readFileSync(ca, "utf8"), readFileSync(key, "utf8"), passphrase);
}

export { ensurePrivateDir };
