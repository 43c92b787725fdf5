// npm run provision -- <deviceId> --broker mqtts://HOST:PORT [--pki DIR] [--out DIR] [--acl FILE]
//   [--lan-ssid SSID --lan-pass-file FILE]
// Makes the device's key and a certificate for it (CN = device id) signed by the project CA (made by
// `npm run pki`), and writes what the device needs into OUT (default DIR/devices; private, 0700):
//   <id>.key (0600), <id>.pem, ca.pem,
//   <id>.nvs.csv (0600) for ESP-IDF's NVS partition generator (namespace "router"; run it where the
//     CSV's file paths are valid, with encryption: see docs),
//   <id>.nvs.json (0600) the same entries as JSON (id, mqttHost, mqttPort; tlsCa, tlsCert, tlsKey as base64 DER).
// --lan-ssid and --lan-pass-file add the clients' Wi-Fi LAN (lanSsid, lanPass: the board's WPA2/WPA3
// soft AP); the passphrase is read from a file (its first line) so it stays out of argv and shell history.
// --acl FILE appends the device's block of fleet/broker/acl.template to Mosquitto's ACL file (then SIGHUP Mosquitto).
// The key is never printed.
import { appendFileSync, existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join, resolve } from "node:path";
import { assertDeviceId } from "../broker/credentials";
import { deviceAcl } from "../broker/acl";
import { caPassphrase, defaultPkiDir, ensurePrivateDir, loadProjectPki } from "../broker/project-pki";
import { NVS_KEYS, csvUnsafe, nvsCsv, nvsEntries, nvsJson } from "../broker/provisioning";
import { flags, runTool, unknownOption, UsageError } from "./args";
import { CLIENT_DAYS, CLIENT_DAYS_MAX } from "../broker/pki";

const USAGE = "usage: npm run provision -- <deviceId> --broker mqtts://HOST:PORT [--pki DIR] [--out DIR] [--acl FILE] [--days N] [--lan-ssid SSID --lan-pass-file FILE]\n" +
  "       npm run provision -- collector-N --collector [--pki DIR] [--out DIR] [--acl FILE] [--days N]   (a history collector's certificate)\n" +
  "       npm run provision -- fleet-N --tool [--pki DIR] [--out DIR] [--acl FILE] [--days N]   (a fleet tool's own login: commands and config)\n" +
  "       the CA key's passphrase: --ca-pass-file FILE or PKI_CA_PASSPHRASE; --days: the certificate's life (default 730, at most 825)";

function writeSecret(path: string, text: string | Buffer): string {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

function main(argv: string[]): void {
  let id: string | null = null, broker: string | null = null, pkiDir = defaultPkiDir(), out: string | null = null, acl: string | null = null, days = CLIENT_DAYS;
  let lanSsid: string | null = null, lanPassFile: string | null = null;
  let collector = false, tool = false, passFile: string | null = null;
  for (const { flag: a, value: value } of flags(argv, USAGE)) {
    if (a === "--broker") broker = value();
    else if (a === "--collector") collector = true;
    else if (a === "--tool") tool = true;
    else if (a === "--ca-pass-file") passFile = value();
    else if (a === "--pki") pkiDir = value();
    else if (a === "--out") out = value();
    else if (a === "--acl") acl = value();
    else if (a === "--days") days = Number(value());
    else if (a === "--lan-ssid") lanSsid = value();
    else if (a === "--lan-pass-file") lanPassFile = value();
    else if (a.startsWith("-")) throw unknownOption(a);
    else if (id === null) id = a;
    else throw new UsageError("one device id at a time");
  }
  const passphrase = caPassphrase(passFile);
  if (collector && tool) throw new UsageError("--collector or --tool, not both");
  if (id !== null && collector) return provisionRoleLogin("collector", id, pkiDir, out, acl, days, passphrase);
  if (id !== null && tool) return provisionRoleLogin("tool", id, pkiDir, out, acl, days, passphrase);
  if (id === null) throw new UsageError("a device id is required");
  if (broker === null) throw new UsageError("--broker is required");
  assertDeviceId(id);
  if (!Number.isInteger(days) || days < 1 || days > CLIENT_DAYS_MAX) throw new UsageError(`--days must be a whole number of days from 1 to ${CLIENT_DAYS_MAX}`);
  if ((lanSsid === null) !== (lanPassFile === null)) throw new UsageError("--lan-ssid and --lan-pass-file go together");
  const lan = lanSsid !== null && lanPassFile !== null ? { ssid: lanSsid, passphrase: readFileSync(lanPassFile, "utf8").split(/\r?\n/)[0] } : undefined;
  const pki = loadProjectPki(pkiDir, passphrase);
  const dir = resolve(ensurePrivateDir(out ?? join(pkiDir, "devices")));
  const keyFile = join(dir, `${id}.key`);
  if (existsSync(keyFile)) throw new Error(`${keyFile} exists: device '${id}' was provisioned already (remove its files to make a new key)`);
  const issued = pki.issue(id, { kind: "client", days });
  const files = { caPem: join(dir, "ca.pem"), certPem: join(dir, `${id}.pem`), keyPem: keyFile };
  const entries = nvsEntries({ mqttUrl: broker, deviceId: id, caPem: pki.caPem, certPem: issued.certPem, keyPem: issued.keyPem, lan });
  // The firmware takes DER blobs; the generator reads each from its own file, and so a LAN value
  // with a comma or a quote (which a CSV cell cannot hold).
  const blobFiles = { [NVS_KEYS.ca]: join(dir, "ca.der"), [NVS_KEYS.cert]: join(dir, `${id}.der`), [NVS_KEYS.key]: join(dir, `${id}.key.der`) };
  const lanFiles = Object.fromEntries([NVS_KEYS.lanSsid, NVS_KEYS.lanPass]
    .filter((k) => entries.strings[k] !== undefined && csvUnsafe(entries.strings[k]))
    .map((k) => [k, join(dir, `${id}.${k}.txt`)]));
  const csv = nvsCsv(entries, { ...blobFiles, ...lanFiles }); // checks every value before anything is written
  writeFileSync(files.caPem, pki.caPem);
  writeFileSync(files.certPem, issued.certPem);
  writeSecret(files.keyPem, issued.keyPem);
  writeFileSync(blobFiles[NVS_KEYS.ca], entries.blobs[NVS_KEYS.ca]);
  writeFileSync(blobFiles[NVS_KEYS.cert], entries.blobs[NVS_KEYS.cert]);
  writeSecret(blobFiles[NVS_KEYS.key], entries.blobs[NVS_KEYS.key]);
  for (const [k, path] of Object.entries(lanFiles)) writeSecret(path, entries.strings[k]);
  writeSecret(join(dir, `${id}.nvs.csv`), csv);
  writeSecret(join(dir, `${id}.nvs.json`), nvsJson(entries));
  console.log(`device ${id}: key ${files.keyPem} (0600), certificate ${files.certPem} (CA ${pki.caName})`);
  console.log(`NVS (namespace router: id, mqttHost, mqttPort, tlsCa, tlsCert, tlsKey${lan ? ", lanSsid, lanPass" : ""}): ${join(dir, `${id}.nvs.csv`)} and .nvs.json`);
  console.log(`  $IDF_PATH/components/nvs_flash/nvs_partition_generator/nvs_partition_gen.py encrypt ${id}.nvs.csv ${id}.nvs.bin 0x6000 --keygen`);
  if (acl) {
    const block = deviceAcl(id);
    const have = existsSync(acl) ? readFileSync(acl, "utf8") : "";
    if (have.split("\n").some((l) => l.trim() === `user ${id}`)) console.log(`${acl} already has a block for ${id}`);
    else {
      appendFileSync(acl, (have && !have.endsWith("\n\n") ? "\n" : "") + block);
      console.log(`ACL block for ${id} appended to ${acl}: send Mosquitto SIGHUP to reload it`);
    }
  }
}

/** Role logins provision makes a certificate for (no NVS): their CN pattern and ACL block. */
const ROLE_LOGINS = {
  collector: { what: "a collector", re: /^collector-[1-9][0-9]{0,3}$/, name: "collector-N", acl: "topic read routers/#\n", says: "read routers/#" },
  tool: { what: "a fleet tool", re: /^fleet-[1-9][0-9]{0,3}$/, name: "fleet-N", acl: "topic read routers/#\ntopic write routers/+/config/set\ntopic write routers/+/cmd/#\n",
    says: "read routers/#, write config/set and cmd/#" },
} as const;

/** A collector's or fleet tool's own login: a client certificate whose CN is its login, and its ACL block; no NVS. */
function provisionRoleLogin(role: keyof typeof ROLE_LOGINS, id: string, pkiDir: string, out: string | null, acl: string | null, days: number, passphrase: string | undefined): void {
  const r = ROLE_LOGINS[role];
  if (!r.re.test(id)) throw new Error(`${r.what}'s login is ${r.name} (N from 1 to 9999), not '${id.slice(0, 40)}'`);
  if (!Number.isInteger(days) || days < 1 || days > CLIENT_DAYS_MAX) throw new Error(`--days must be a whole number of days from 1 to ${CLIENT_DAYS_MAX}`);
  const pki = loadProjectPki(pkiDir, passphrase);
  const dir = resolve(ensurePrivateDir(out ?? join(pkiDir, "devices")));
  const keyFile = join(dir, `${id}.key`);
  if (existsSync(keyFile)) throw new Error(`${keyFile} exists: ${id} was provisioned already (remove its files to make a new key)`);
  const issued = pki.issue(id, { kind: "client", days });
  writeFileSync(join(dir, "ca.pem"), pki.caPem);
  writeFileSync(join(dir, `${id}.pem`), issued.certPem);
  writeSecret(keyFile, issued.keyPem);
  console.log(`${role} ${id}: key ${keyFile} (0600), certificate ${join(dir, `${id}.pem`)} (CA ${pki.caName})`);
  if (acl) {
    const have = existsSync(acl) ? readFileSync(acl, "utf8") : "";
    if (have.split("\n").some((l) => l.trim() === `user ${id}`)) console.log(`${acl} already has a block for ${id}`);
    else {
      appendFileSync(acl, (have && !have.endsWith("\n\n") ? "\n" : "") + `user ${id}\n${r.acl}`);
      console.log(`ACL block for ${id} (${r.says}) appended to ${acl}: send Mosquitto SIGHUP to reload it`);
    }
  }
}

runTool(USAGE, main);
