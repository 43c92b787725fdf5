// A Mosquitto with a WebSocket-over-TLS listener, for the dashboard's wss:// test: a throwaway CA
// and a server certificate for 127.0.0.1 made with the openssl command, a plain loopback MQTT
// listener for the test's publisher, password logins on both. Its own temp dir, removed on stop.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../broker/free-port";
import { mosquittoPath } from "../../broker/broker";
import { makeCredentials, allIdentities, type FleetCredentials } from "../../broker/credentials";

export const OPENSSL = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((p) => existsSync(p)) ?? null;

export interface WssBroker {
  /** Plain MQTT on loopback (the test's publisher). */
  url: string;
  /** MQTT over WebSockets over TLS (the page). */
  wssUrl: string;
  /** base64 SHA-256 of the server certificate's public key, as Chromium's SPKI allow-list wants it. */
  spki: string;
  version: string;
  creds: FleetCredentials;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

/** A CA and a server certificate signed by it for IP 127.0.0.1, in `dir`. */
function makeCertificates(dir: string): void {
  if (!OPENSSL) throw new Error("openssl is not installed (apt-get install openssl)");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(OPENSSL, ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=dashboard test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  run(OPENSSL, ["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
  run(OPENSSL, ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt",
    "-days", "2", "-extfile", "server.ext"], dir);
}

export async function startWssBroker(deviceIds: readonly string[]): Promise<WssBroker> {
  const bin = mosquittoPath();
  if (!bin) throw new Error("mosquitto is not installed (apt-get install mosquitto)");
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-wss-"));
  let proc: ChildProcess | null = null;
  const stop = async () => {
    const p = proc;
    proc = null;
    if (p && p.exitCode === null) await new Promise<void>((resolve) => { p.once("exit", () => resolve()); p.kill("SIGTERM"); });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    makeCertificates(dir);
    const creds = makeCredentials(deviceIds);
    const passwd = join(dir, "passwd");
    writeFileSync(passwd, allIdentities(creds).map((i) => `${i.username}:${i.password}`).join("\n") + "\n", { mode: 0o600 });
    run("mosquitto_passwd", ["-U", passwd], dir);
    const [port, wssPort] = [await freePort(), await freePort()];
    writeFileSync(join(dir, "mosquitto.conf"), [
      `user ${userInfo().username}`, "persistence false", `log_dest file ${dir}/mosquitto.log`, "per_listener_settings true",
      `listener ${port} 127.0.0.1`, "protocol mqtt", "allow_anonymous false", `password_file ${passwd}`, "use_username_as_clientid true",
      `listener ${wssPort} 127.0.0.1`, "protocol websockets", "allow_anonymous false", `password_file ${passwd}`,
      `certfile ${dir}/server.crt`, `keyfile ${dir}/server.key`, `cafile ${dir}/ca.crt`, "",
    ].join("\n"));
    proc = spawn(bin, ["-c", join(dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "ignore"] });
    await waitForPort(port);
    await waitForPort(wssPort);
    const key = new X509Certificate(readFileSync(join(dir, "server.crt"))).publicKey.export({ type: "spki", format: "der" });
    const v = spawnSync(bin, ["-h"], { encoding: "utf8" });
    return {
      url: `mqtt://127.0.0.1:${port}`, wssUrl: `wss://127.0.0.1:${wssPort}`, creds, stop,
      spki: createHash("sha256").update(key).digest("base64"),
      version: (/mosquitto version (\S+)/.exec(v.stdout + v.stderr) ?? [])[1] ?? "?",
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
