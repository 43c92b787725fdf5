// The credentials a running broker hands to the other tools (`npm run fleet -- --creds FILE`, an
// MQTT client): a JSON file and one key and certificate per identity, all in a private directory
// (0700, files 0600) outside the repository, removed when the broker stops. Passwords and keys are
// only ever in these files, never on stdout or a command line.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { Broker } from "./broker";
import type { FleetCredentials, Identity } from "./credentials";
import type { PrivateDir } from "./private-dir";

interface FileIdentity { username: string; password: string; cert?: string; key?: string }

export interface CredsFile {
  broker: string; tls: string; websocket: string; wss: string;
  ca: string;
  /** The console's login; absent when a console holds it (npm start). */
  fleet?: FileIdentity;
  dashboard: FileIdentity;
  /** id -> login (older files: id -> password). */
  devices: Record<string, FileIdentity | string>;
  /** The history collectors' logins, one each (`npm run collector -- --creds FILE --username collector-N`). */
  collectors?: FileIdentity[];
  /** Fleet tools' logins, one per tool (fleet-1 .. fleet-4): commands and config, as `fleet`. */
  tools?: FileIdentity[];
}

export interface CredsFileOptions {
  /**
   * Leave `fleet` out: a console in the same process holds that login (npm start), and another
   * client logging in with it would take its session. Tools use `tools`.
   */
  fleetInUse?: boolean;
}

/** Writes creds.json and the key files into `dir`; returns the JSON file's path. */
export function writeCredsFile(dir: PrivateDir, broker: Broker, creds: FleetCredentials, o: CredsFileOptions = {}): string {
  const ca = dir.write("ca.pem", broker.caPem);
  const entry = (i: Identity): FileIdentity => ({
    username: i.username, password: i.password,
    ...(i.tls?.cert && i.tls.key ? { cert: dir.write(`${i.username}.pem`, i.tls.cert), key: dir.write(`${i.username}.key`, i.tls.key) } : {}),
  });
  const file: CredsFile = {
    broker: broker.url, tls: broker.tlsUrl, websocket: broker.wsUrl, wss: broker.wssUrl, ca,
    ...(o.fleetInUse ? {} : { fleet: entry(creds.fleet) }), tools: creds.tools.map(entry),
    dashboard: entry(creds.dashboard), collectors: creds.collectors.map(entry),
    devices: Object.fromEntries([...creds.devices].map(([id, i]) => [id, entry(i)])),
  };
  return dir.write("creds.json", JSON.stringify(file, null, 2) + "\n");
}

export interface LoadedCreds { devices: Map<string, Identity>; fleet: Identity | null; dashboard: Identity | null; tools: Identity[] }

/** Reads a creds file (paths in it relative to the file), checking its shape. */
export function readCredsFile(path: string): LoadedCreds {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`--creds ${path}: ${(e as Error).message}`);
  }
  const o = raw as Partial<CredsFile>;
  if (!o || typeof o !== "object" || !o.devices || typeof o.devices !== "object") throw new Error(`--creds ${path}: no "devices" object`);
  const here = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
  const ca = typeof o.ca === "string" ? readFileSync(here(o.ca), "utf8") : undefined;
  const identity = (name: string, v: unknown): Identity => {
    if (typeof v === "string") return { username: name, password: v };
    const f = v as Partial<FileIdentity>;
    if (!f || typeof f !== "object" || typeof f.password !== "string") throw new Error(`--creds ${path}: "${name}" has no password`);
    const id: Identity = { username: typeof f.username === "string" ? f.username : name, password: f.password };
    if (typeof f.cert === "string" && typeof f.key === "string" && ca) {
      id.tls = { ca, cert: readFileSync(here(f.cert), "utf8"), key: readFileSync(here(f.key), "utf8") };
    }
    return id;
  };
  return {
    devices: new Map(Object.entries(o.devices).map(([id, v]) => [id, identity(id, v)])),
    fleet: o.fleet ? identity("fleet", o.fleet) : null,
    dashboard: o.dashboard ? identity("dashboard", o.dashboard) : null,
    tools: Array.isArray(o.tools) ? o.tools.map((t, i) => identity(`fleet-${i + 1}`, t)) : [],
  };
}
