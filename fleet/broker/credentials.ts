// Credentials for a test or demo fleet: one identity per device (username = certificate CN =
// device id), a fleet operator and a read-only dashboard. Each has a password (the development
// path: plain MQTT on loopback, dashboards over WebSockets) and a key and certificate from the
// fleet's CA (the production path: MQTT over TLS with client certificates). Random per run;
// nothing secret is kept in the repository.
import { randomBytes } from "node:crypto";
import { IDENTITY, Pki } from "./pki";

export interface TlsIdentity {
  /** The CA that signed the broker's certificate (the client trusts only it). */
  ca: string;
  /** The client certificate and its key (the login on the mqtts:// door). */
  cert?: string;
  key?: string;
}

export interface Identity {
  username: string;
  password: string;
  tls?: TlsIdentity;
}

export interface FleetCredentials {
  fleet: Identity;
  dashboard: Identity;
  devices: Map<string, Identity>;
  /** Fleet history collectors (read-only, one login each: the login is the MQTT session). */
  collectors: Identity[];
  /**
   * Fleet tools' own logins (fleet-1 .. fleet-4: the fleet role's rights). One login is one
   * session: tools that shared `fleet` kicked each other off, so each tool takes one of these and
   * `fleet` stays with the console of npm start.
   */
  tools: Identity[];
  /** The fleet's CA, which also signs the broker's certificate. */
  pki: Pki;
  /**
   * Benches only: one login that writes every router's heartbeat topic, so a flood from 100,000
   * router ids needs one connection, not 100,000 device logins. Never made unless asked for.
   */
  loadgen?: Identity;
}

/** As many as fleet/broker/acl.template names (collector-1 .. collector-4). */
export const COLLECTORS = 4;
/** As many as fleet/broker/acl.template names (fleet-1 .. fleet-4). */
export const FLEET_TOOLS = 4;

/** Role logins. A device id may be neither these nor start with one and '-' (dashboards use such client ids). */
export const ROLES = { fleet: "fleet", dashboard: "dashboard", collector: "collector", loadgen: "loadgen" } as const;

const secret = () => randomBytes(18).toString("base64url");

export function assertDeviceId(id: string): void {
  if (!IDENTITY.test(id)) throw new Error(`device id '${id}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  for (const role of Object.values(ROLES)) {
    if (id === role || id.startsWith(role + "-")) throw new Error(`device id '${id}' is reserved for the ${role} role`);
  }
}

function identity(pki: Pki, username: string): Identity {
  const { certPem, keyPem } = pki.issue(username, { kind: "client" });
  return { username, password: secret(), tls: { ca: pki.caPem, cert: certPem, key: keyPem } };
}

export function makeCredentials(deviceIds: readonly string[], pki: Pki = Pki.create("uplink-router test CA", 2), o: { loadgen?: boolean } = {}): FleetCredentials {
  for (const id of deviceIds) assertDeviceId(id);
  return {
    ...(o.loadgen ? { loadgen: identity(pki, ROLES.loadgen) } : {}),
    fleet: identity(pki, ROLES.fleet),
    dashboard: identity(pki, ROLES.dashboard),
    devices: new Map(deviceIds.map((id) => [id, identity(pki, id)])),
    collectors: Array.from({ length: COLLECTORS }, (_, i) => identity(pki, `${ROLES.collector}-${i + 1}`)),
    tools: Array.from({ length: FLEET_TOOLS }, (_, i) => identity(pki, `${ROLES.fleet}-${i + 1}`)),
    pki,
  };
}

export function allIdentities(c: FleetCredentials): Identity[] {
  return [c.fleet, c.dashboard, ...c.collectors, ...c.tools, ...(c.loadgen ? [c.loadgen] : []), ...c.devices.values()];
}
