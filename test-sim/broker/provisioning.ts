// What a device needs to join the fleet, as Preference (NVS) entries in domain "router": where the
// broker is, who the device is, the CA it pins, and its own certificate and key. Written for the
// ESP-IDF NVS partition generator (CSV) and as JSON for any other flashing path. The key names are
// the contract with hardware/ (hardware/README.md); NVS keys are at most 15 characters and a string
// value at most 4,000 bytes.
import { assertDeviceId } from "./credentials";

export const NVS_NAMESPACE = "router";

export interface DeviceProvision {
  mqttUrl: string;
  deviceId: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const NVS_KEY_MAX = 15;
const NVS_STRING_MAX = 4000;

/** The entries in a fixed order, each checked against NVS limits. */
export function nvsEntries(p: DeviceProvision): Array<[keyof DeviceProvision, string]> {
  assertDeviceId(p.deviceId);
  if (!/^mqtts:\/\/[^/\s]+:\d+$/.test(p.mqttUrl)) throw new Error(`mqttUrl '${p.mqttUrl}': a device connects only over TLS: mqtts://host:port`);
  const entries: Array<[keyof DeviceProvision, string]> = [
    ["mqttUrl", p.mqttUrl], ["deviceId", p.deviceId], ["caPem", p.caPem], ["certPem", p.certPem], ["keyPem", p.keyPem],
  ];
  for (const [k, v] of entries) {
    if (k.length > NVS_KEY_MAX) throw new Error(`NVS key '${k}' is longer than ${NVS_KEY_MAX} characters`);
    // The stored string ends in a NUL.
    if (Buffer.byteLength(v) + 1 > NVS_STRING_MAX) throw new Error(`${k} is ${Buffer.byteLength(v)} bytes; an NVS string holds at most ${NVS_STRING_MAX - 1}`);
  }
  return entries;
}

/**
 * The NVS partition generator's CSV. PEMs are `file` entries (the generator reads them as strings),
 * since a CSV cell cannot hold their line breaks portably; `files` maps each to its path.
 */
export function nvsCsv(p: DeviceProvision, files: { caPem: string; certPem: string; keyPem: string }): string {
  const rows = ["key,type,encoding,value", `${NVS_NAMESPACE},namespace,,`];
  for (const [k, v] of nvsEntries(p)) {
    if (k === "caPem" || k === "certPem" || k === "keyPem") rows.push(`${k},file,string,${files[k]}`);
    else {
      if (/[,"\r\n]/.test(v)) throw new Error(`${k} '${v}' cannot go into a CSV cell`);
      rows.push(`${k},data,string,${v}`);
    }
  }
  return rows.join("\n") + "\n";
}

export function nvsJson(p: DeviceProvision): string {
  return JSON.stringify({ namespace: NVS_NAMESPACE, entries: Object.fromEntries(nvsEntries(p)) }, null, 2) + "\n";
}
