// The production path end to end (issue 11, item 3): `npm run pki` makes the project CA,
// `npm run provision -- <id>` a device's key, certificate and NVS entries, and a device holding
// them gets into a broker that trusts that CA; keys stay private and outside the repository. The
// CA key is stored encrypted and apart from what Mosquitto reads (issue 20), and a device whose
// certificate is revoked (`npm run pki -- --revoke ID`, the CRL in broker/crl.pem) is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../testing/scenario-runs";
import { connect, until } from "../../testing/broker";
import { sleep } from "../../testing/sleep";
import { recordBrokerKind } from "../../testing/environment";
import { startBroker } from "../broker/broker";
import { makeCredentials } from "../broker/credentials";
import { loadProjectPki } from "../broker/project-pki";
import { Pki } from "../broker/pki";
import { nvsEntries } from "../broker/provisioning";
import { renderAcl, parseAcl, allowed, deviceAcl, brokerAcl } from "../broker/acl";

// What npm run pki encrypts the CA key with (the tools read it from here or from --ca-pass-file).
process.env.PKI_CA_PASSPHRASE = "a test passphrase for the project CA";
const run = (script: string, args: string[]) => spawnSync(process.execPath, [join(ROOT, "dist", script), ...args], { cwd: ROOT, encoding: "utf8" });
const mode = (p: string) => statSync(p).mode & 0o777;

test("certificates: a CA, a server certificate for the broker's names, client certificates with the identity as CN", () => {
  const pki = Pki.create("test CA", 1);
  const ca = new X509Certificate(pki.caPem);
  assert.ok(ca.ca && ca.verify(ca.publicKey), "self-signed CA");
  const server = pki.issue("broker", { kind: "server", names: ["127.0.0.1", "::1", "broker.example"] });
  const s = new X509Certificate(server.certPem);
  assert.ok(s.verify(ca.publicKey) && !s.ca);
  assert.equal(s.checkIP("127.0.0.1"), "127.0.0.1");
  assert.equal(s.checkIP("::1"), "::1");
  assert.equal(s.checkHost("broker.example"), "broker.example");
  assert.equal(s.checkHost("evil.example"), undefined);
  const c = new X509Certificate(pki.issue("router-7", { kind: "client" }).certPem);
  assert.match(c.subject, /CN=router-7/);
  assert.deepEqual(c.keyUsage, ["1.3.6.1.5.5.7.3.2"], "clientAuth only");
  assert.ok(c.verify(ca.publicKey));
  // The CA saved and loaded again signs certificates the first one verifies.
  const again = Pki.load(pki.caPem, pki.caKeyPem);
  assert.ok(new X509Certificate(again.issue("r", { kind: "client" }).certPem).verify(ca.publicKey));
  assert.throws(() => Pki.load(pki.caPem, Pki.create().caKeyPem), /does not belong/);
  // What becomes a login, an ACL line and a topic level is checked.
  for (const bad of ["r1\ntopic readwrite #", "a/b", "+", "#", "", "x".repeat(65), "-lead"]) assert.throws(() => pki.issue(bad, { kind: "client" }), /cannot name/);
  // OpenSSL's strict verifier agrees, where the CLI is installed.
  const dir = mkdtempSync(join(tmpdir(), "pki-test-"));
  try {
    writeFileSync(join(dir, "ca.pem"), pki.caPem);
    writeFileSync(join(dir, "s.pem"), server.certPem);
    const r = spawnSync("openssl", ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", join(dir, "ca.pem"), join(dir, "s.pem")], { encoding: "utf8" });
    if (r.error) return;
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ACL: one block per device, no patterns; device ids cannot inject lines or wildcards", () => {
  const text = renderAcl(["r1", "r2"]);
  assert.doesNotMatch(text, /^\s*pattern\s/m);
  const rules = parseAcl(text);
  assert.ok(allowed(rules, "r1", "routers/r1/state", "write"));
  assert.ok(!allowed(rules, "r1", "routers/r2/state", "write"));
  assert.ok(!allowed(rules, "dashboard", "routers/dashboard/state", "write"));
  assert.ok(!allowed(rules, "fleet", "routers/fleet/heartbeat", "write"));
  assert.ok(!allowed(rules, "fleet", "routers/r1/state", "write"));
  assert.ok(allowed(rules, "fleet", "routers/r1/cmd/reboot", "write"));
  assert.ok(allowed(rules, "fleet", "routers/r1/config/set", "write"));
  assert.ok(allowed(rules, "dashboard", "routers/#", "read"));
  for (const bad of ["r1\ntopic readwrite #", "r1 #", "fleet", "dashboard-1", "a+b", "loadgen"]) assert.throws(() => deviceAcl(bad), /device id/);
  // The benches' load generator: only when asked for, and then it writes heartbeats and nothing else.
  const pki = Pki.create("acl test CA", 1);
  assert.doesNotMatch(brokerAcl(makeCredentials(["r1"], pki)), /loadgen/);
  const bench = parseAcl(brokerAcl(makeCredentials(["r1"], pki, { loadgen: true })));
  assert.ok(allowed(bench, "loadgen", "routers/r1/heartbeat", "write"));
  for (const t of ["routers/r1/state", "routers/r1/event", "routers/r1/cmd/reboot", "routers/r1/config/set"]) assert.ok(!allowed(bench, "loadgen", t, "write"), t);
  assert.ok(!allowed(bench, "loadgen", "routers/#", "read"));
});

test("npm run pki and npm run provision: private files, NVS entries for the device, and the device gets in", async () => {
  const home = mkdtempSync(join(tmpdir(), "pki-home-"));
  const pkiDir = join(home, "pki");
  try {
    // Never inside the repository.
    const inside = run("pki.js", ["--dir", join(ROOT, "my-pki")]);
    assert.equal(inside.status, 1);
    assert.match(inside.stderr, /inside the repository/);
    assert.ok(!existsSync(join(ROOT, "my-pki")));

    const made = run("pki.js", ["--dir", pkiDir, "--host", "broker.example"]);
    assert.equal(made.status, 0, made.stderr);
    assert.equal(mode(pkiDir), 0o700);
    assert.equal(mode(join(pkiDir, "ca.key")), 0o600);
    assert.match(readFileSync(join(pkiDir, "ca.key"), "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/, "the CA key is encrypted");
    // What Mosquitto reads is a directory of its own, without the CA key.
    assert.deepEqual(readdirSync(join(pkiDir, "broker")).sort(), ["ca.pem", "crl.pem", "server.key", "server.pem"]);
    assert.equal(mode(join(pkiDir, "broker")), 0o700);
    assert.equal(mode(join(pkiDir, "broker", "server.key")), 0o600);
    const noPass = spawnSync(process.execPath, [join(ROOT, "dist", "provision.js"), "edge-1", "--pki", pkiDir, "--broker", "mqtts://b:8883"],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, PKI_CA_PASSPHRASE: "" } });
    assert.match(noPass.stderr, /the CA key is encrypted: give its passphrase/);
    const caBefore = readFileSync(join(pkiDir, "ca.pem"), "utf8");
    assert.equal(run("pki.js", ["--dir", pkiDir]).status, 0);
    assert.equal(readFileSync(join(pkiDir, "ca.pem"), "utf8"), caBefore, "a second run keeps the CA");

    const acl = join(home, "acl");
    writeFileSync(acl, renderAcl([]));
    const p = run("provision.js", ["edge-42", "--pki", pkiDir, "--broker", "mqtts://broker.example:8883", "--acl", acl]);
    assert.equal(p.status, 0, p.stderr);
    assert.doesNotMatch(p.stdout + p.stderr, /PRIVATE KEY/);
    const out = join(pkiDir, "devices");
    assert.equal(mode(out), 0o700);
    for (const f of ["edge-42.key", "edge-42.nvs.csv", "edge-42.nvs.json"]) assert.equal(mode(join(out, f)), 0o600, f);
    // The NVS entries, under the key names agreed with hardware/ (namespace "router").
    const nvs = JSON.parse(readFileSync(join(out, "edge-42.nvs.json"), "utf8")) as { namespace: string; strings: Record<string, string>; blobs: Record<string, string> };
    assert.equal(nvs.namespace, "router");
    // The key names the firmware reads (hardware/provisioned-keys.ts); the TLS material as DER blobs (Preference ArrayBuffers).
    assert.deepEqual(nvs.strings, { id: "edge-42", mqttHost: "broker.example", mqttPort: "8883" });
    assert.deepEqual(Object.keys(nvs.blobs), ["tlsCa", "tlsCert", "tlsKey"]);
    const blob = (k: string) => Buffer.from(nvs.blobs[k], "base64");
    assert.equal(new X509Certificate(blob("tlsCa")).toString(), new X509Certificate(caBefore).toString());
    const devCert = new X509Certificate(blob("tlsCert"));
    const devKey = createPrivateKey({ key: blob("tlsKey"), format: "der", type: "pkcs8" });
    assert.ok(devCert.checkPrivateKey(devKey));
    // Two years, not ten: a key read out of a lost router's flash expires on its own.
    const life = (Date.parse(devCert.validTo) - Date.now()) / 86400000;
    assert.ok(life > 729 && life <= 730, `device certificate valid ${life.toFixed(1)} days`);
    for (const k of Object.keys(nvs.blobs)) assert.ok(blob(k).length < 4000, `${k} fits the firmware's read`);
    const csv = readFileSync(join(out, "edge-42.nvs.csv"), "utf8").trim().split("\n");
    assert.deepEqual(csv.slice(0, 5), ["key,type,encoding,value", "router,namespace,,", "id,data,string,edge-42", "mqttHost,data,string,broker.example", "mqttPort,data,string,8883"]);
    assert.deepEqual(csv.slice(5).map((l) => l.split(",").slice(0, 3).join(",")), ["tlsCa,file,binary", "tlsCert,file,binary", "tlsKey,file,binary"]);
    assert.deepEqual(readFileSync(csv[6].split(",")[3]), blob("tlsCert"));
    assert.equal(mode(csv[7].split(",")[3]), 0o600, "the DER key is private too");
    const pem = { ca: devCert.toString(), cert: devCert.toString(), key: devKey.export({ format: "pem", type: "pkcs8" }).toString() };
    pem.ca = new X509Certificate(blob("tlsCa")).toString();
    assert.match(readFileSync(acl, "utf8"), /^user edge-42\ntopic write routers\/edge-42\/state$/m);
    // Refused: a second key for the same device, a plaintext URL, an id that is not an identity.
    assert.match(run("provision.js", ["edge-42", "--pki", pkiDir, "--broker", "mqtts://b:8883"]).stderr, /provisioned already/);
    assert.match(run("provision.js", ["edge-43", "--pki", pkiDir, "--broker", "mqtt://b:1883"]).stderr, /only over TLS/);
    assert.match(run("provision.js", ["edge-44", "--pki", pkiDir, "--broker", "mqtts://b:8883", "--days", "3650"]).stderr, /--days must be a whole number of days from 1 to 825/);
    assert.match(run("provision.js", ["fleet", "--pki", pkiDir, "--broker", "mqtts://b:8883"]).stderr, /reserved/);
    assert.throws(() => nvsEntries({ mqttUrl: "mqtts://b:1", deviceId: "d", caPem: "x".repeat(4000), certPem: "", keyPem: "" }), /caPem: not a PEM certificate/);

    // A fleet tool's own login (one session per login: tools sharing one kicked each other off).
    const tool = run("provision.js", ["fleet-2", "--tool", "--pki", pkiDir, "--acl", acl]);
    assert.equal(tool.status, 0, tool.stderr);
    assert.match(readFileSync(acl, "utf8"), /^user fleet-2\ntopic read routers\/#\ntopic write routers\/\+\/config\/set\ntopic write routers\/\+\/cmd\/#$/m);
    assert.equal(mode(join(out, "fleet-2.key")), 0o600);
    assert.match(run("provision.js", ["fleet-x", "--tool", "--pki", pkiDir]).stderr, /a fleet tool's login is fleet-N/);
    assert.match(run("provision.js", ["collector-1", "--tool", "--pki", pkiDir]).stderr, /a fleet tool's login is fleet-N/);

    // A broker with the project CA takes the provisioned device, and only as itself; the tool
    // watches with the certificate provision made for it.
    const creds = makeCredentials(["edge-42"], loadProjectPki(pkiDir));
    const broker = await startBroker(creds, process.env.TEST_BROKER === "embedded" ? "embedded" : "mosquitto");
    recordBrokerKind(broker);
    const watcher = await connect(broker.tlsUrl, { username: "fleet-2", password: "", tls: { ca: caBefore,
      cert: readFileSync(join(out, "fleet-2.pem"), "utf8"), key: readFileSync(join(out, "fleet-2.key"), "utf8") } }, { reconnectPeriod: 0 });
    try {
      const heard: string[] = [];
      watcher.on("message", (t, m) => heard.push(`${t} ${m}`));
      await watcher.subscribeAsync("routers/#", { qos: 1 });
      const device = await connect(broker.tlsUrl, { username: "edge-42", password: "", tls: { ca: pem.ca, cert: pem.cert, key: pem.key } }, { reconnectPeriod: 0 });
      device.publish("routers/edge-42/state", '{"online":true}', { qos: 1, retain: true });
      device.publish("routers/edge-41/state", '{"online":true}', { qos: 1, retain: true });
      assert.ok(await until(() => heard.length > 0, 5000));
      await sleep(500);
      assert.deepEqual(heard, ['routers/edge-42/state {"online":true}']);
      device.end(true);
    } finally {
      watcher.end(true);
      await broker.stop();
    }

    // Revoked: edge-42's certificate goes on the CRL; a broker reading it refuses edge-42 and takes edge-44.
    assert.equal(run("provision.js", ["edge-44", "--pki", pkiDir, "--broker", "mqtts://broker.example:8883"]).status, 0);
    const r = run("pki.js", ["--dir", pkiDir, "--revoke", "edge-42"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(pkiDir, "ca.pem"), "utf8"), caBefore, "revoking keeps the CA");
    const crlPem = readFileSync(join(pkiDir, "broker", "crl.pem"), "utf8");
    const creds2 = makeCredentials(["edge-42", "edge-44"], loadProjectPki(pkiDir));
    const broker2 = await startBroker(creds2, process.env.TEST_BROKER === "embedded" ? "embedded" : "mosquitto", { crlPem });
    try {
      const file = (f: string) => readFileSync(join(pkiDir, "devices", f), "utf8");
      const ok = await connect(broker2.tlsUrl, { username: "edge-44", password: "", tls: { ca: pem.ca, cert: file("edge-44.pem"), key: file("edge-44.key") } }, { reconnectPeriod: 0 });
      ok.end(true);
      await assert.rejects(connect(broker2.tlsUrl, { username: "edge-42", password: "", tls: { ca: pem.ca, cert: pem.cert, key: pem.key } },
        { reconnectPeriod: 0, connectTimeout: 3000 }), "the revoked certificate is refused");
    } finally {
      await broker2.stop();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
