// Credentials for a test or demo fleet: one per device (username = device id), a fleet operator
// and a read-only dashboard identity. Random per run; nothing secret is kept in the repo.
import { randomBytes } from "node:crypto";

export interface Identity { username: string; password: string }

export interface FleetCredentials {
  fleet: Identity;
  dashboard: Identity;
  devices: Map<string, Identity>;
  /** Fleet history collectors (read-only, one login each: the login is the MQTT session). */
  collectors: Identity[];
}

/** As many as broker/acl names (collector-1 .. collector-4). */
export const COLLECTORS = 4;

const secret = () => randomBytes(12).toString("base64url");

export function makeCredentials(deviceIds: readonly string[]): FleetCredentials {
  return {
    fleet: { username: "fleet", password: secret() },
    dashboard: { username: "dashboard", password: secret() },
    devices: new Map(deviceIds.map((id) => [id, { username: id, password: secret() }])),
    collectors: Array.from({ length: COLLECTORS }, (_, i) => ({ username: `collector-${i + 1}`, password: secret() })),
  };
}

export function allIdentities(c: FleetCredentials): Identity[] {
  return [c.fleet, c.dashboard, ...c.collectors, ...c.devices.values()];
}
