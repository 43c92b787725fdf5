// npm run pki -- [--dir DIR] [--host NAME]... [--force] [--ca-pass-file FILE] [--revoke ID]...
// Makes the project CA in DIR (default ~/.config/uplink-router/pki; a private directory outside the
// repository, 0700, keys 0600) with its key encrypted by a passphrase (--ca-pass-file FILE or
// $PKI_CA_PASSPHRASE; at least 12 characters; without one the key is stored in the clear, with a
// warning: keep that directory offline), and in DIR/broker what Mosquitto reads and nothing
// else: ca.pem, a certificate for the broker answering to each --host (plus localhost and
// 127.0.0.1) with its key, and the CA's revocation list crl.pem. With a CA already there it keeps
// it and renews the broker's certificate and the CRL (--force makes a new CA, which orphans every
// device certificate signed so far). --revoke ID adds the certificate DIR/devices/ID.pem to the CRL.
import { existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { Pki } from "../broker/pki";
import { caPassphrase, defaultPkiDir, ensurePrivateDir, loadProjectPki } from "../broker/project-pki";
import { flags, runTool, unknownOption } from "./args";

const USAGE = "usage: npm run pki -- [--dir DIR] [--host NAME]... [--force] [--ca-pass-file FILE (or PKI_CA_PASSPHRASE)] [--revoke ID]...";

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

interface Revoked { serial: string; cn: string; at: number }

function main(argv: string[]): void {
  let dir = defaultPkiDir(), force = false, passFile: string | null = null;
  const hosts: string[] = [];
  const revoke: string[] = [];
  for (const { flag: a, value: value } of flags(argv, USAGE)) {
    if (a === "--dir") dir = value();
    else if (a === "--host") hosts.push(value());
    else if (a === "--force") force = true;
    else if (a === "--ca-pass-file") passFile = value();
    else if (a === "--revoke") revoke.push(value());
    else throw unknownOption(a);
  }
  const passphrase = caPassphrase(passFile);
  ensurePrivateDir(dir);
  const made = !existsSync(join(dir, "ca.pem")) || force;
  const pki = made ? Pki.create() : loadProjectPki(dir, passphrase);
  if (made || (passphrase && !readFileSync(join(dir, "ca.key"), "utf8").includes("ENCRYPTED"))) {
    writeSecret(join(dir, "ca.key"), passphrase ? pki.caKeyPemEncrypted(passphrase) : pki.caKeyPem);
    if (made) writeFileSync(join(dir, "ca.pem"), pki.caPem);
  }
  if (!passphrase) console.error(`warning: ${join(dir, "ca.key")} is not encrypted (no --ca-pass-file or PKI_CA_PASSPHRASE): keep ${dir} offline`);
  // Revocations: by device id, from the certificate provision wrote.
  const listFile = join(dir, "revoked.json");
  const revoked: Revoked[] = made || !existsSync(listFile) ? [] : JSON.parse(readFileSync(listFile, "utf8")) as Revoked[];
  for (const id of revoke) {
    const pem = join(dir, "devices", `${id}.pem`);
    if (!existsSync(pem)) throw new Error(`--revoke ${id}: no certificate ${pem}`);
    const serial = new X509Certificate(readFileSync(pem)).serialNumber;
    if (!revoked.some((r) => r.serial === serial)) revoked.push({ serial, cn: id, at: Date.now() });
  }
  writeFileSync(listFile, JSON.stringify(revoked, null, 2) + "\n");
  const broker = ensurePrivateDir(join(dir, "broker"));
  const server = pki.issue("broker", { kind: "server", names: [...new Set([...hosts, "localhost", "127.0.0.1", "::1"])] });
  writeFileSync(join(broker, "ca.pem"), pki.caPem);
  writeFileSync(join(broker, "server.pem"), server.certPem);
  writeSecret(join(broker, "server.key"), server.keyPem);
  writeFileSync(join(broker, "crl.pem"), pki.crl(revoked, revoked.length + 1));
  console.log(`${made ? "new project CA" : "project CA kept"}: ${join(dir, "ca.pem")} (key ca.key${passphrase ? ", encrypted" : ""}, 0600)`);
  console.log(`broker certificate for ${[...hosts, "localhost", "127.0.0.1", "::1"].join(", ")}, and the CRL (${revoked.length} revoked): ${broker}`);
  console.log(`Mosquitto: cafile ${join(broker, "ca.pem")}, certfile ${join(broker, "server.pem")}, keyfile ${join(broker, "server.key")}, crlfile ${join(broker, "crl.pem")}`);
  console.log(`  (give Mosquitto ${broker} only; the CA key stays in ${dir}, or offline)`);
  console.log(`next: npm run provision -- <deviceId> --pki ${dir} --broker mqtts://<host>:8883`);
}

runTool(USAGE, main);
