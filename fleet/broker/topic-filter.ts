// MQTT topic filter matching (+ one level, # the rest), as a broker applies it. The broker's ACL
// and the simulator's in-process broker both use it, so the simulated fleet is refused exactly
// what the real one is.

/** Whether `topic` falls under `filter`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/"), t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
