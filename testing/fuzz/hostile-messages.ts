// Seeded generator of hostile inbound messages for the firmware fuzz (npm run bench -- --fuzz and
// the hostile-input tests). Every message it makes must be refused: each starts from the shape of a
// real request and is broken on purpose in one of the ways an attacker or a clumsy operator would
// (not JSON, too big, too deep, too many values, a key twice, a schema violation, a prototype key,
// another boot, expired, a command not dated). A message the firmware accepts is a generator bug or a firmware bug, and
// the fuzz reports it.
import { Rng } from "../../sim/world/random";

export type FuzzTopic = "config/set" | "cmd/failover" | "cmd/reboot" | "cmd/probe-now" | "cmd/*";

export const FUZZ_TOPICS: readonly FuzzTopic[] = ["config/set", "cmd/failover", "cmd/reboot", "cmd/probe-now", "cmd/*"];

export interface HostileMessage {
  /** Topic under routers/<id>/. */
  topic: string;
  payload: string;
  /** Which kind of damage, for the report. */
  kind: string;
}

/** The boot the fuzzed router runs (its first): a request for any other is stale. */
export const FUZZ_EPOCH = 1;

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "isPrototypeOf"];
// Topic levels a broker would deliver to a cmd/+ subscription (no "/", "+", "#" or U+0000).
const WEIRD_NAMES = [...PROTO_KEYS, "", "FAILOVER", "reboot ", "probe_now", "\u202e", "é", "😀", "a".repeat(300)];
const WEIRD_VALUES: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, "", " ", "\u0000", "😀", "\ud800", [], {}, [[[]]],
  "x".repeat(70), -0, "1e308", "NaN"];
// An own "__proto__" key, as JSON.parse makes it (a literal would set the prototype instead).
WEIRD_VALUES.push(JSON.parse('{"__proto__":{"polluted":true}}'));
const LINKS = ["wan0", "lte0"];

class Gen {
  constructor(private readonly rng: Rng) {}
  int(n: number): number { return Math.floor(this.rng.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  chance(p: number): boolean { return this.rng.next() < p; }

  /** Text of random code points: ASCII mostly, some multi-byte, an occasional lone surrogate. */
  text(max: number): string {
    const n = this.int(max + 1);
    let s = "";
    for (let i = 0; i < n; i++) {
      const r = this.rng.next();
      if (r < 0.7) s += String.fromCharCode(0x20 + this.int(95));
      else if (r < 0.8) s += String.fromCharCode(this.int(0x20));
      else if (r < 0.9) s += String.fromCharCode(0xa0 + this.int(0x700));
      else if (r < 0.97) s += String.fromCodePoint(0x1f300 + this.int(0x300));
      else s += String.fromCharCode(0xd800 + this.int(0x800));
    }
    return s;
  }

  value(depth = 0): unknown {
    const r = this.rng.next();
    if (depth > 3 || r < 0.5) return this.chance(0.5) ? this.pick(WEIRD_VALUES) : this.text(20);
    if (r < 0.75) return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = this.int(4); i > 0; i--) {
      const key = this.chance(0.3) ? this.pick(PROTO_KEYS) : this.text(8);
      Object.defineProperty(o, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
}

/**
 * A well-formed request for the topic (what the damage is applied to). A command is dated for the
 * fuzzed boot, expiring within the router's request lifetime from `uptimeMs`, so that the damage,
 * not a missing date, is what gets it refused; a config is sent undated as often as not.
 */
function valid(g: Gen, topic: Exclude<FuzzTopic, "cmd/*">, uptimeMs: number): Record<string, unknown> {
  const id: Record<string, unknown> = g.chance(0.5) ? { id: "req-" + g.int(1e6) } : {};
  const date = { epoch: FUZZ_EPOCH, expiresAtMs: uptimeMs + 1000 + g.int(60000) };
  if (topic === "config/set") return { ...id, ...(g.chance(0.5) ? date : {}), config: { version: 2 + g.int(100), probe: { standbyIntervalMs: 1000 * (1 + g.int(60)) } } };
  const base = { ...id, ...date };
  if (topic === "cmd/failover") return { ...base, link: g.pick(LINKS), holdMs: g.int(600000) };
  if (topic === "cmd/probe-now") return g.chance(0.5) ? { ...base, link: g.pick(LINKS) } : base;
  return { ...base, reason: "fuzz", delayMs: g.int(60000) };
}

/** Break a request so that its schema (or the firmware's own rules) must refuse it. */
function breakSchema(g: Gen, req: Record<string, unknown>, topic: Exclude<FuzzTopic, "cmd/*">): [Record<string, unknown> | unknown, string] {
  switch (g.int(9)) {
    case 0: return [{ ...req, [g.chance(0.5) ? g.pick(PROTO_KEYS) : "x" + g.text(10)]: g.value() }, "unknown key"];
    case 1: return [{ ...req, id: g.chance(0.5) ? g.text(200) + "\u0001" : g.pick([1, null, [], {}, ""]) }, "bad id"];
    case 2: return [{ ...req, epoch: g.pick([0, -1, 1.5, 2147483648, 1e308, "1", null]) }, "bad epoch"];
    case 3: {
      const { epoch: _e, expiresAtMs: _x, ...undated } = req;
      if (topic !== "config/set" && g.chance(0.5)) return [undated, "command not dated"];
      return [{ ...undated, expiresAtMs: 1e12 }, "expiry without epoch"];
    }
    case 4: return [g.pick([null, [], "cmd", 1e308, true, [req]]), "not an object"];
    case 5:
      if (topic === "cmd/failover") return [{ ...req, link: g.pick(["", "eth 0", "-x", "a".repeat(16), g.text(20) + "\u0000", 5, null]) }, "bad link"];
      if (topic === "cmd/probe-now") return [{ ...req, link: g.pick(["", " ", "a".repeat(16), 7, [], "x\u00e9"]) }, "bad link"];
      if (topic === "cmd/reboot") return [{ ...req, delayMs: g.pick([-1, 60001, 1e308, 1.5, "0", null]) }, "bad delay"];
      return [{ ...req, config: { ...(req.config as object), version: g.pick([1e308, -1, 1.5, "2", 2147483648]) } }, "bad version"];
    case 6:
      if (topic === "config/set") {
        return [{ ...req, config: { failover: { dampening: g.pick([{ penalty: 1e308, reuse: 0 }, { halfLifeMs: 86400000, max: 1000000, reuse: 1 }, { reuse: 5000 }]) } } }, "bad dampening"];
      }
      if (topic === "cmd/failover") return [{ ...req, holdMs: g.pick([-1, 86400001, 1e308, "1000"]) }, "bad hold"];
      return [{ ...req, [g.pick(["link", "reason", "holdMs"])]: g.value() , zz: 1 }, "stray field"];
    case 7:
      if (topic === "config/set") {
        const bad = g.pick([{ links: { [g.pick(PROTO_KEYS)]: { priority: 1 } } }, { links: Object.fromEntries(Array.from({ length: 9 }, (_, i) => ["l" + i, {}])) },
          { targets: [] }, { targets: Array.from({ length: 9 }, () => ({ kind: "icmp", host: "1.1.1.1" })) }, { targets: [{ kind: "icmp", host: "bad host" }] },
          { telemetry: { queueMax: 1e308 } }, { probe: { maxTimeoutMs: 50, minTimeoutMs: 5000 } }, { links: { eth9: { priority: 1 } } }]);
        return [{ ...req, config: bad }, "bad config"];
      }
      return [{ ...req, epoch: FUZZ_EPOCH + 1 + g.int(1000) }, "stale epoch"];
    default:
      return [{ ...req, epoch: FUZZ_EPOCH, expiresAtMs: g.int(1000) }, "expired"];
  }
}

function nested(g: Gen, depth: number): string {
  const obj = g.chance(0.5);
  return obj ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth) : "[".repeat(depth) + "]".repeat(depth);
}

/** Break the text itself: what a parser sees before any schema. */
function breakText(g: Gen, req: unknown): [string, string] {
  const json = JSON.stringify(req);
  switch (g.int(7)) {
    case 0: {
      // Cut, spliced or sprinkled text: checked not to parse.
      for (;;) {
        const r = g.int(3);
        const s = r === 0 ? json.slice(0, g.int(json.length)) : r === 1 ? json.slice(0, g.int(json.length)) + g.text(20) + json.slice(g.int(json.length)) : g.text(60);
        try { JSON.parse(s); } catch { return [s, "not JSON"]; }
      }
    }
    case 1: {
      const size = g.chance(0.9) ? 4097 + g.int(60000) : 1 << (17 + g.int(4));
      return [JSON.stringify({ ...(req as object), pad: "x".repeat(size) }), "too big"];
    }
    case 2: return [nested(g, 9 + g.int(g.chance(0.5) ? 30 : 3000)), "too deep"];
    case 3: {
      const n = 257 + g.int(700);
      return [JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => ["k" + i, 0]))).slice(0, 4000) , "too many values"];
    }
    case 4: {
      // A key twice, plainly or hidden behind an escape.
      const inner = json.slice(1, -1);
      const dup = g.chance(0.5) ? '"id":"a","id":"b"' : '"id":"a","\\u0069d":"b"';
      return ["{" + dup + (inner ? "," + inner : "") + "}", "duplicate key"];
    }
    case 5: return [g.pick(["", " ", "null", "[]", "0", "\"x\"", "true", "{}}", "{\"", "\ufeff{}", "{} {}"]), "degenerate"];
    default: return ["{" + '"k":'.repeat(1) + "[" + "1,".repeat(300 + g.int(500)) + "1]}", "long array"];
  }
}

/**
 * `count` hostile messages for one topic, the same for the same seed. `uptimeMs` is the fuzzed
 * router's clock when the next message is made (what a well-formed command is dated by).
 */
export function* hostileMessages(topic: FuzzTopic, count: number, seed: number, uptimeMs: () => number): Generator<HostileMessage> {
  const g = new Gen(new Rng(seed).fork(topic));
  for (let i = 0; i < count; i++) {
    if (topic === "cmd/*") {
      // Commands that do not exist, prototype names first among them.
      const name = (g.chance(0.5) ? g.pick(PROTO_KEYS) : g.pick(WEIRD_NAMES) + (g.chance(0.3) ? g.text(10) : "")).replace(/[/+#\u0000]/g, "");
      const payload = g.chance(0.5) ? "{}" : JSON.stringify(g.value());
      yield { topic: "cmd/" + name, payload, kind: "unknown command" };
      continue;
    }
    const req = valid(g, topic, uptimeMs());
    if (g.chance(0.5)) {
      const [bad, kind] = breakSchema(g, req, topic);
      yield { topic, payload: JSON.stringify(bad), kind };
    } else {
      const [payload, kind] = breakText(g, req);
      yield { topic, payload, kind };
    }
  }
}
