// fleet/broker/acl.template: rendered for a fleet (one block per device), and read and enforced the way
// Mosquitto does for the lines we use (user / topic), so the embedded broker keeps the same rules.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { topicMatches } from "./topic-filter";
import { assertDeviceId, type FleetCredentials } from "./credentials";
import { REPO_ROOT as REPO } from "../paths";

export const ACL_TEMPLATE = join(REPO, "fleet/broker/acl.template");

type Access = "read" | "write";
interface Rule { user: string | null; pattern: boolean; access: "read" | "write" | "readwrite"; topic: string }

/** The lines of the template's device block (from `user {{DEVICE}}` to the end). */
function split(template: string): { roles: string; device: string } {
  const i = template.indexOf("user {{DEVICE}}");
  if (i < 0) throw new Error("broker/acl: no 'user {{DEVICE}}' block");
  return { roles: template.slice(0, i), device: template.slice(i) };
}

/** One device's block (ids are checked: an id is written into the ACL and must not add a line or a wildcard). */
export function deviceAcl(id: string, template = readFileSync(ACL_TEMPLATE, "utf8")): string {
  assertDeviceId(id);
  return split(template).device.replaceAll("{{DEVICE}}", id).trimEnd() + "\n";
}

/** The whole file for a fleet: the role blocks, then one block per device. */
export function renderAcl(deviceIds: readonly string[], template = readFileSync(ACL_TEMPLATE, "utf8")): string {
  return [split(template).roles.trimEnd() + "\n", ...deviceIds.map((id) => deviceAcl(id, template))].join("\n");
}

/** The file a broker of `creds` enforces: renderAcl, and the bench's load generator if it has one. */
export function brokerAcl(creds: FleetCredentials): string {
  const acl = renderAcl([...creds.devices.keys()]);
  return creds.loadgen ? `${acl}\nuser ${creds.loadgen.username}\ntopic write routers/+/heartbeat\n` : acl;
}

export function parseAcl(text: string, where = "acl"): Rule[] {
  const rules: Rule[] = [];
  let user: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [word, ...rest] = line.split(/\s+/);
    if (word === "user") { user = rest[0]; continue; }
    if (word !== "topic" && word !== "pattern") throw new Error(`${where}: cannot read '${line}'`);
    const access = rest.length > 1 ? rest[0] as Rule["access"] : "readwrite";
    const topic = rest.length > 1 ? rest[1] : rest[0];
    rules.push({ user: word === "pattern" ? null : user, pattern: word === "pattern", access, topic });
  }
  return rules;
}

/** Whether `user` may `access` `topic` (a concrete topic, or a filter for subscribe). */
export function allowed(rules: readonly Rule[], user: string, topic: string, access: Access): boolean {
  for (const r of rules) {
    if (r.user !== null && r.user !== user) continue;
    if (r.access !== "readwrite" && r.access !== access) continue;
    const filter = r.pattern ? r.topic.replaceAll("%u", user) : r.topic;
    // A subscription filter is allowed when the rule's filter covers it.
    if (topicMatches(filter, topic) || filter === topic) return true;
  }
  return false;
}
