// The clients' LAN keys in `npm run provision` (issue 17, item 5): lanSsid and lanPass reach the NVS
// CSV and JSON under the key names the firmware reads (hardware/provisioned-keys.ts), checked by the rules
// the firmware applies before it starts its soft AP (hardware/lan-keys.ts), and a bad value stops the
// tool before it writes anything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../testing/scenario-runs";
import { PROVISIONED } from "../../hardware/provisioned-keys";
import { STORE_KEY_MAX_CHARS } from "../../src/config/store-keys";
import { nvsCsv, nvsEntries, NVS_KEYS } from "../broker/provisioning";
import { Pki } from "../broker/pki";
import { lanKeysProblem } from "../../hardware/lan-keys";


const run = (script: string, args: string[]) => spawnSync(process.execPath, [join(ROOT, "dist", script), ...args], { cwd: ROOT, encoding: "utf8" });

test("LAN keys: the firmware's rules (SSID 1-32 bytes, WPA2 passphrase 8-63 printable ASCII)", () => {
  assert.equal(lanKeysProblem("cafe", "12345678"), null);
  assert.equal(lanKeysProblem("x".repeat(32), "p".repeat(63)), null);
  assert.equal(lanKeysProblem("é".repeat(16), "a, \"quoted\" pass"), null, "32 bytes of UTF-8; commas and quotes are printable ASCII");
  assert.match(lanKeysProblem("", "12345678") ?? "", /SSID is 0 bytes/);
  assert.match(lanKeysProblem("x".repeat(33), "12345678") ?? "", /SSID is 33 bytes/);
  assert.match(lanKeysProblem("é".repeat(17), "12345678") ?? "", /SSID is 34 bytes/, "bytes, not characters");
  assert.match(lanKeysProblem("a\nb", "12345678") ?? "", /control character/);
  assert.match(lanKeysProblem("cafe", "1234567") ?? "", /7 characters; WPA2 needs 8 to 63/);
  assert.match(lanKeysProblem("cafe", "f".repeat(64)) ?? "", /64 characters/, "a raw 64-hex PSK cannot serve WPA3-SAE");
  assert.match(lanKeysProblem("cafe", "pässwört") ?? "", /printable ASCII/);
  // The key names the provisioning tool writes are the ones the firmware reads, within NVS's limit.
  assert.equal(NVS_KEYS.lanSsid, PROVISIONED.lanSsid);
  assert.equal(NVS_KEYS.lanPass, PROVISIONED.lanPassword);
  for (const k of Object.values(NVS_KEYS)) assert.ok((Object.values(PROVISIONED) as string[]).includes(k), `${k} is not a key the firmware reads`);
  for (const k of Object.values(PROVISIONED)) assert.ok(k.length <= STORE_KEY_MAX_CHARS, k);
});

test("LAN keys in the NVS entries and CSV; a value a CSV cell cannot hold goes to its own file", () => {
  const pki = Pki.create("lan test CA", 1);
  const issued = pki.issue("edge-7", { kind: "client" });
  const base = { mqttUrl: "mqtts://b.example:8883", deviceId: "edge-7", caPem: pki.caPem, certPem: issued.certPem, keyPem: issued.keyPem };
  const blobFiles = { tlsCa: "/p/ca.der", tlsCert: "/p/c.der", tlsKey: "/p/k.der" };
  assert.equal(nvsEntries(base).strings.lanSsid, undefined, "no LAN unless asked for");
  const e = nvsEntries({ ...base, lan: { ssid: "Cafe Upstairs", passphrase: "correct horse" } });
  assert.deepEqual([e.strings.lanSsid, e.strings.lanPass], ["Cafe Upstairs", "correct horse"]);
  const rows = nvsCsv(e, blobFiles).trim().split("\n");
  assert.ok(rows.includes("lanSsid,data,string,Cafe Upstairs"));
  assert.ok(rows.includes("lanPass,data,string,correct horse"));
  const quoted = nvsEntries({ ...base, lan: { ssid: "Cafe, upstairs", passphrase: "say \"hi\", then" } });
  assert.throws(() => nvsCsv(quoted, blobFiles), /lanSsid: no file path/);
  const qrows = nvsCsv(quoted, { ...blobFiles, lanSsid: "/p/ssid.txt", lanPass: "/p/pass.txt" }).trim().split("\n");
  assert.ok(qrows.includes("lanSsid,file,string,/p/ssid.txt"));
  assert.ok(qrows.includes("lanPass,file,string,/p/pass.txt"));
  assert.throws(() => nvsEntries({ ...base, lan: { ssid: "x".repeat(33), passphrase: "12345678" } }), /SSID is 33 bytes/);
  assert.throws(() => nvsEntries({ ...base, lan: { ssid: "cafe", passphrase: "short" } }), /WPA2 needs 8 to 63/);
});

test("npm run provision --lan-ssid --lan-pass-file: the LAN reaches the CSV and JSON; bad keys write nothing", () => {
  const home = mkdtempSync(join(tmpdir(), "prov-lan-"));
  const pkiDir = join(home, "pki"), out = join(pkiDir, "devices");
  try {
    assert.equal(run("pki.js", ["--dir", pkiDir, "--host", "broker.example"]).status, 0);
    const passFile = join(home, "lan-pass");
    writeFileSync(passFile, "a, \"long\" passphrase\nignored second line\n");
    const p = run("provision.js", ["edge-9", "--pki", pkiDir, "--broker", "mqtts://broker.example:8883", "--lan-ssid", "Shop, front", "--lan-pass-file", passFile]);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /lanSsid, lanPass/);
    assert.doesNotMatch(p.stdout + p.stderr, /long" passphrase/, "the passphrase is never printed");
    const nvs = JSON.parse(readFileSync(join(out, "edge-9.nvs.json"), "utf8")) as { strings: Record<string, string> };
    assert.equal(nvs.strings.lanSsid, "Shop, front");
    assert.equal(nvs.strings.lanPass, "a, \"long\" passphrase", "the first line of the file");
    const csv = readFileSync(join(out, "edge-9.nvs.csv"), "utf8").trim().split("\n");
    const row = (k: string) => csv.find((l) => l.startsWith(k + ","))?.split(",") ?? [];
    assert.deepEqual(row("lanSsid").slice(0, 3), ["lanSsid", "file", "string"]);
    assert.equal(readFileSync(row("lanSsid")[3], "utf8"), "Shop, front");
    assert.equal(readFileSync(row("lanPass")[3], "utf8"), "a, \"long\" passphrase");
    assert.equal(statSync(row("lanPass")[3]).mode & 0o777, 0o600, "the passphrase file is private");

    // Refused before anything is written: a 7-character passphrase, a 33-byte SSID, half the pair.
    writeFileSync(passFile, "1234567\n");
    const short = run("provision.js", ["edge-10", "--pki", pkiDir, "--broker", "mqtts://b:8883", "--lan-ssid", "shop", "--lan-pass-file", passFile]);
    assert.equal(short.status, 1);
    assert.match(short.stderr, /7 characters; WPA2 needs 8 to 63/);
    assert.ok(!existsSync(join(out, "edge-10.key")) && !existsSync(join(out, "edge-10.nvs.csv")));
    writeFileSync(passFile, "12345678\n");
    const long = run("provision.js", ["edge-11", "--pki", pkiDir, "--broker", "mqtts://b:8883", "--lan-ssid", "x".repeat(33), "--lan-pass-file", passFile]);
    assert.match(long.stderr, /SSID is 33 bytes/);
    assert.ok(!existsSync(join(out, "edge-11.key")));
    assert.match(run("provision.js", ["edge-12", "--pki", pkiDir, "--broker", "mqtts://b:8883", "--lan-ssid", "shop"]).stderr, /go together/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
