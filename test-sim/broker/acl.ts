// The broker/acl file, read and enforced the way Mosquitto does for the lines we use
// (user / topic / pattern with %u), so the embedded broker keeps the same rules.
import { readFileSync } from "node:fs";
import { topicMatches } from "../world/sim-broker";

type Access = "read" | "write";
interface Rule { user: string | null; pattern: boolean; access: "read" | "write" | "readwrite"; topic: string }

export function loadAcl(file: string): Rule[] {
  const rules: Rule[] = [];
  let user: string | null = null;
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [word, ...rest] = line.split(/\s+/);
    if (word === "user") { user = rest[0]; continue; }
    if (word !== "topic" && word !== "pattern") throw new Error(`${file}: cannot read '${line}'`);
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
