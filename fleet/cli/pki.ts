// npm run pki -- [--dir DIR] [--host NAME]... [--force]
// Makes the project CA in DIR (default ~/.config/uplink-router/pki; a private directory outside the
// repository, 0700, keys 0600) and a certificate for the broker answering to each --host (plus
// localhost and 127.0.0.1). With a CA already there it keeps it and only renews the broker's
// certificate (--force makes a new CA, which orphans every device certificate signed so far).
import { existsSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { Pki } from "../broker/pki";
import { defaultPkiDir, ensurePrivateDir, loadProjectPki } from "../broker/project-pki";
import { flags, runTool, unknownOption } from "./args";

const USAGE = "usage: npm run pki -- [--dir DIR] [--host NAME]... [--force]";

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function main(argv: string[]): void {
  let dir = defaultPkiDir(), force = false;
  const hosts: string[] = [];
  for (const { flag: a, value: value } of flags(argv, USAGE)) {
    if (a === "--dir") dir = value();
    else if (a === "--host") hosts.push(value());
    else if (a === "--force") force = true;
    else throw unknownOption(a);
  }
  ensurePrivateDir(dir);
  const made = !existsSync(join(dir, "ca.pem")) || force;
  const pki = made ? Pki.create() : loadProjectPki(dir);
  if (made) {
    writeSecret(join(dir, "ca.key"), pki.caKeyPem);
    writeFileSync(join(dir, "ca.pem"), pki.caPem);
  }
  const server = pki.issue("broker", { kind: "server", names: [...new Set([...hosts, "localhost", "127.0.0.1", "::1"])] });
  writeFileSync(join(dir, "server.pem"), server.certPem);
  writeSecret(join(dir, "server.key"), server.keyPem);
  console.log(`${made ? "new project CA" : "project CA kept"}: ${join(dir, "ca.pem")} (key ca.key, 0600)`);
  console.log(`broker certificate for ${[...hosts, "localhost", "127.0.0.1", "::1"].join(", ")}: server.pem, server.key`);
  console.log(`Mosquitto: cafile ${join(dir, "ca.pem")}, certfile ${join(dir, "server.pem")}, keyfile ${join(dir, "server.key")}`);
  console.log(`next: npm run provision -- <deviceId> --pki ${dir} --broker mqtts://<host>:8883`);
}

runTool(USAGE, main);
