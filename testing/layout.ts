// The repository's rooms as rings: a file may import its own room and rooms on lower rings, never
// one on its own ring or above. The firmware (src/) sits at the bottom and imports nothing else;
// the fleet never reaches the simulator; tests (any tests/ folder) sit on top and may use anything.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const RINGS: Record<string, number> = {
  src: 0,
  hardware: 1, dashboard: 1,
  fleet: 2,
  sim: 3,
  demo: 4,
  testing: 5,
  bench: 6, testbed: 6,
  tests: 7,
};
const TOP = 7;

/** The room a repository-relative file lives in, and its ring (any tests/ folder is on top). */
export function ringOf(file: string): { room: string; ring: number } {
  const room = file.split("/")[0];
  if (file.split("/").slice(0, -1).includes("tests")) return { room, ring: TOP };
  return { room, ring: RINGS[room] ?? -1 };
}

/** Repository-relative .ts file -> the repository-relative files it imports (type-only too). */
export function importGraph(root: string): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const room of Object.keys(RINGS)) {
    for (const f of readdirSync(join(root, room), { recursive: true, encoding: "utf8" })) {
      if (!f.endsWith(".ts") || f.includes("node_modules") || f.includes("generated/")) continue;
      const file = room + "/" + f;
      const to: string[] = [];
      const text = readFileSync(join(root, file), "utf8");
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g)) {
        const target = relative(root, resolve(dirname(join(root, file)), m[1] ?? m[2]));
        to.push(/\.(ts|json|js|mjs)$/.test(target) ? target : target + ".ts");
      }
      g.set(file, to);
    }
  }
  return g;
}

/** Imports that go sideways or up a ring, as "from -> to". */
export function ringBreaches(g: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, tos] of g) {
    const a = ringOf(from);
    for (const to of tos) {
      const b = ringOf(to);
      if (a.room === b.room && a.ring >= b.ring) continue;
      if (b.ring < 0 || b.ring >= a.ring) out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

/** One cycle in a graph, as its path, or null. */
export function findCycle(g: Map<string, string[]>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    path.push(n);
    for (const m of g.get(n) ?? []) {
      if (state.get(m) === 1) return [...path.slice(path.indexOf(m)), m];
      if (!state.has(m)) { const c = visit(m); if (c) return c; }
    }
    path.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of g.keys()) if (!state.has(n)) { const c = visit(n); if (c) return c; }
  return null;
}

/** A file's folder; a file at a room's top stands for itself (src/ports.ts is no folder). */
const folderOf = (file: string) => file.split("/").length > 2 ? dirname(file) : file;

/** The graph between folders, edges inside one folder left out. */
export function folderGraph(g: Map<string, string[]>): Map<string, string[]> {
  const f = new Map<string, string[]>();
  for (const [from, tos] of g) {
    const a = folderOf(from);
    const list = f.get(a) ?? [];
    for (const to of tos) { const b = folderOf(to); if (b !== a && !list.includes(b)) list.push(b); }
    f.set(a, list);
  }
  return f;
}
