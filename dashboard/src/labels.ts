// Each router's site and tags as the operators filed them (fleet history: router_labels, set from
// the console). The table filters and groups by them; the console edits them. One store for both,
// with listeners, so a save shows in the groups at once.
export interface Labels { site: string | null; tags: string[] }

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$/;
const store = new Map<string, Labels>();
const listeners: Array<() => void> = [];

/** Take labels from the API (checked again: what the page shows as a group name must be a label). */
export function setLabels(id: string, site: unknown, tags: unknown): void {
  const s = typeof site === "string" && LABEL.test(site) ? site : null;
  const t = Array.isArray(tags) ? tags.filter((x): x is string => typeof x === "string" && LABEL.test(x)).slice(0, 8) : [];
  if (s === null && t.length === 0) store.delete(id);
  else store.set(id, { site: s, tags: t });
  for (const fn of listeners) fn();
}

export function labelsOf(id: string): Labels | undefined {
  return store.get(id);
}

export function onLabels(fn: () => void): void {
  listeners.push(fn);
}

/** The groups a router belongs to: "site:X" and "tag:Y" for each of its tags. */
export function groupsOf(id: string): string[] {
  const l = store.get(id);
  return l ? [...(l.site ? [`site:${l.site}`] : []), ...l.tags.map((t) => `tag:${t}`)] : [];
}

/** Every group some router is in, sites first, each sorted. */
export function allGroups(): string[] {
  const out = new Set<string>();
  for (const id of store.keys()) for (const g of groupsOf(id)) out.add(g);
  return [...out].sort((a, b) => (a.startsWith("site:") === b.startsWith("site:") ? a.localeCompare(b) : a.startsWith("site:") ? -1 : 1));
}
