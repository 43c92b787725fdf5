// What a device needs to join the fleet, as Preference (NVS) entries in domain "router", under the
// key names the firmware reads (hardware/provisioned-keys.ts, hardware/README.md): who it is (`id`),
// where the broker is (`mqttHost`, `mqttPort`), and the CA it pins with its own certificate and key
// (`tlsCa`, `tlsCert`, `tlsKey`: DER blobs, Preference hands them over as ArrayBuffers). Written for
// the ESP-IDF NVS partition generator (CSV) and as JSON for any other flashing path. NVS keys and
// string values are held to the Store's limits (src/config/store-keys.ts). Optionally the clients' LAN (`lanSsid`,
// `lanPass`: the board's soft AP), checked by the same rules the firmware applies before it starts
// the AP (hardware/lan-keys.ts), so a unit is never flashed with a LAN it would refuse.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { assertDeviceId } from "./credentials";
import { lanKeysProblem } from "../../hardware/lan-keys";
import { PROVISIONED } from "../../hardware/provisioned-keys";
import { STORE_KEY_MAX_CHARS, STORE_VALUE_MAX_BYTES } from "../../src/config/store-keys";

export const NVS_NAMESPACE = "router";

export interface DeviceProvision {
  mqttUrl: string;
  deviceId: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** The clients' Wi-Fi LAN (WPA2/WPA3): SSID 1-32 bytes, passphrase 8-63 printable ASCII characters. */
  lan?: { ssid: string; passphrase: string };
}

/** The firmware's Preference keys (hardware/provisioning.ts PROVISIONED). */
export const NVS_KEYS = {
  id: PROVISIONED.deviceId, host: PROVISIONED.brokerHost, port: PROVISIONED.brokerPort,
  ca: PROVISIONED.tlsCa, cert: PROVISIONED.tlsCert, key: PROVISIONED.tlsKey,
  lanSsid: PROVISIONED.lanSsid, lanPass: PROVISIONED.lanPassword,
} as const;

export interface NvsEntries {
  strings: Record<string, string>;
  /** DER bytes. */
  blobs: Record<string, Buffer>;
}

/** A blob the firmware reads into RAM: certificates and keys are well under this. */
const NVS_BLOB_MAX = STORE_VALUE_MAX_BYTES;

/** The entries, each checked against NVS limits. */
export function nvsEntries(p: DeviceProvision): NvsEntries {
  assertDeviceId(p.deviceId);
  const m = /^mqtts:\/\/([^/\s:]+):(\d+)$/.exec(p.mqttUrl);
  if (!m) throw new Error(`mqttUrl '${p.mqttUrl}': a device connects only over TLS: mqtts://host:port`);
  const strings: Record<string, string> = { [NVS_KEYS.id]: p.deviceId, [NVS_KEYS.host]: m[1], [NVS_KEYS.port]: m[2] };
  if (p.lan) {
    const problem = lanKeysProblem(p.lan.ssid, p.lan.passphrase);
    if (problem) throw new Error(problem);
    strings[NVS_KEYS.lanSsid] = p.lan.ssid;
    strings[NVS_KEYS.lanPass] = p.lan.passphrase;
  }
  const blobs = {
    [NVS_KEYS.ca]: der(p.caPem, "cert", "caPem"),
    [NVS_KEYS.cert]: der(p.certPem, "cert", "certPem"),
    [NVS_KEYS.key]: der(p.keyPem, "key", "keyPem"),
  };
  for (const [k, v] of Object.entries(strings)) {
    if (Buffer.byteLength(v) + 1 > STORE_VALUE_MAX_BYTES) throw new Error(`${k} is ${Buffer.byteLength(v)} bytes; an NVS string holds at most ${STORE_VALUE_MAX_BYTES - 1}`);
  }
  for (const [k, v] of Object.entries(blobs)) if (v.length > NVS_BLOB_MAX) throw new Error(`${k} is ${v.length} bytes (at most ${NVS_BLOB_MAX})`);
  for (const k of [...Object.keys(strings), ...Object.keys(blobs)]) if (k.length > STORE_KEY_MAX_CHARS) throw new Error(`NVS key '${k}' is longer than ${STORE_KEY_MAX_CHARS}`);
  return { strings, blobs };
}

function der(pem: string, kind: "cert" | "key", what: string): Buffer {
  try {
    return kind === "cert" ? Buffer.from(new X509Certificate(pem).raw) : createPrivateKey(pem).export({ format: "der", type: "pkcs8" });
  } catch (e) {
    throw new Error(`${what}: not a PEM ${kind === "cert" ? "certificate" : "private key"} (${(e as Error).message})`);
  }
}

/** A string a CSV cell cannot hold as it is (a LAN SSID or passphrase may have a comma or a quote). */
export function csvUnsafe(value: string): boolean {
  return /[,"\r\n]/.test(value);
}

/**
 * The NVS partition generator's CSV: strings as `data`, the DER blobs as `file` entries with
 * `binary` encoding; `files` maps each blob key to the path its bytes are written to. A string
 * a cell cannot hold (csvUnsafe) goes into its own file, read with `string` encoding: `files`
 * names that file too.
 */
export function nvsCsv(e: NvsEntries, files: Record<string, string>): string {
  const rows = ["key,type,encoding,value", `${NVS_NAMESPACE},namespace,,`];
  const fileFor = (k: string) => {
    const path = files[k];
    if (!path || csvUnsafe(path)) throw new Error(`${k}: no file path for its value, or one a CSV cell cannot hold`);
    return path;
  };
  for (const [k, v] of Object.entries(e.strings)) {
    if (!csvUnsafe(v)) rows.push(`${k},data,string,${v}`);
    else if (k === NVS_KEYS.lanSsid || k === NVS_KEYS.lanPass) rows.push(`${k},file,string,${fileFor(k)}`);
    else throw new Error(`${k} '${v}' cannot go into a CSV cell`);
  }
  for (const k of Object.keys(e.blobs)) rows.push(`${k},file,binary,${fileFor(k)}`);
  return rows.join("\n") + "\n";
}

/** The same entries as JSON, blobs in base64. */
export function nvsJson(e: NvsEntries): string {
  return JSON.stringify({ namespace: NVS_NAMESPACE, strings: e.strings,
    blobs: Object.fromEntries(Object.entries(e.blobs).map(([k, v]) => [k, v.toString("base64")])) }, null, 2) + "\n";
}
