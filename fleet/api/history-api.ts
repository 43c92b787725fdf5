// The history API (plain node:http): a router's timeline and link figures for the last hour, day
// or week, fleet-wide failovers per bucket, the routers that switched most, and /metrics. Every
// input is checked (router id pattern, range enum, bounded limits, no unknown parameters) and
// answered with JSON; errors say what was wrong. Mounted by the dashboard's server (same origin as
// the page) or served on its own by the collector. What one caller can make the database do is
// bounded: each request's reads run under a statement timeout, at most `maxConcurrent` are
// answered at once, at most `maxQueued` wait for a turn (a page asks for five things at once), and
// the rest get 503 with Retry-After at once, not a queue that grows.
import type { IncomingMessage, ServerResponse } from "node:http";
import { ROUTER_ID } from "../collector/decode";
import { linkKind } from "../collector/link-kind";
import { fleetFailovers, fleetRouters, fleetTimeline, linkSeries, routerSummary, timeline, topSwitchers } from "../db/reads";
import type { Queryable, Sql } from "../db/sql";

export const RANGES = {
  hour: { ms: 3600000, linkBucketS: 60, fleetBucketS: 300 },
  day: { ms: 86400000, linkBucketS: 300, fleetBucketS: 3600 },
  week: { ms: 7 * 86400000, linkBucketS: 3600, fleetBucketS: 3600 },
} as const;
export type Range = keyof typeof RANGES;

const MAX_URL = 2048;
const MAX_LINKS = 16;

export interface HistoryApiOptions {
  /** The database, or null while it opens (answers 503). With `transaction` (an Sql), reads get the statement timeout. */
  db: () => Queryable | Sql | null;
  /** Longest a request's reads may take in the database (default 5000 ms); then 503. */
  statementTimeoutMs?: number;
  /** Requests answered at once at most (default 2, so that the collector keeps the rest of its pool of 4 connections); /metrics counts too. */
  maxConcurrent?: number;
  /** Requests waiting for a turn at most (default 16); beyond, 503 at once. */
  maxQueued?: number;
  now?: () => number;
  /** The /metrics body; absent: 404. */
  metrics?: () => Promise<string>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => boolean;

class BadRequest extends Error {}
/** PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout. */
const QUERY_CANCELED = "57014";

interface Params { range: Range; limit: number }

function params(url: URL, allowed: readonly string[], maxLimit: number, defaultLimit: number): Params {
  for (const k of url.searchParams.keys()) if (!allowed.includes(k)) throw new BadRequest(`unknown parameter '${k.slice(0, 40)}' (allowed: ${allowed.join(", ") || "none"})`);
  const range = url.searchParams.get("range") ?? "day";
  if (!Object.hasOwn(RANGES, range)) throw new BadRequest(`range: must be one of ${Object.keys(RANGES).join(", ")}`);
  const l = url.searchParams.get("limit");
  let limit = defaultLimit;
  if (l !== null) {
    if (!/^\d{1,6}$/.test(l) || Number(l) < 1 || Number(l) > maxLimit) throw new BadRequest(`limit: an integer from 1 to ${maxLimit}`);
    limit = Number(l);
  }
  return { range: range as Range, limit };
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = type === "application/json" ? JSON.stringify(body) : String(body);
  res.writeHead(status, { "content-type": type === "application/json" ? "application/json; charset=utf-8" : type,
    "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(text);
}

export function historyApi(o: HistoryApiOptions): Handler {
  const now = o.now ?? Date.now;
  const timeoutMs = Math.max(1, Math.floor(o.statementTimeoutMs ?? 5000));
  const maxConcurrent = o.maxConcurrent ?? 2;
  const maxQueued = o.maxQueued ?? 16;
  let busy = 0;
  const waiting: Array<() => void> = [];
  return (req, res) => {
    const raw = req.url ?? "/";
    const path = raw.split("?")[0];
    if (path !== "/metrics" && !path.startsWith("/api/history/")) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(res, 405, { error: "only GET" });
      return true;
    }
    if (raw.length > MAX_URL) { send(res, 414, { error: `URL longer than ${MAX_URL}` }); return true; }
    if (busy >= maxConcurrent && waiting.length >= maxQueued) {
      res.setHeader("retry-after", "1");
      send(res, 503, { error: `busy: ${maxConcurrent} history requests are being answered and ${maxQueued} wait; retry in a second` });
      return true;
    }
    void turn().then(() => answer(raw)).then(
      ([status, body, type]) => send(res, status, body, type),
      (e: Error) => {
        if (e instanceof BadRequest) send(res, 400, { error: e.message });
        else if ((e as { code?: string }).code === QUERY_CANCELED) send(res, 503, { error: `the query took longer than ${timeoutMs} ms and was cancelled` });
        else send(res, 500, { error: "database error" });
      }).finally(() => {
        const next = waiting.shift();
        if (next) next(); else busy--;
      });
    return true;
  };

  /** Resolves when this request may run (the finishing one hands its place over). */
  function turn(): Promise<void> {
    if (busy < maxConcurrent) { busy++; return Promise.resolve(); }
    return new Promise((r) => waiting.push(r));
  }

  /** The request's reads in one read-only transaction with the statement timeout (PostgreSQL and PGlite both honour it). */
  async function read<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const db = o.db();
    if (!db) throw new Error("no database");
    if (!("transaction" in db)) return fn(db);
    return db.transaction(async (q) => {
      await q.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
      await q.query("SET TRANSACTION READ ONLY");
      return fn(q);
    });
  }

  async function answer(raw: string): Promise<[number, unknown, string?]> {
    const url = new URL(raw, "http://x");
    if (url.pathname === "/metrics") {
      if (!o.metrics) return [404, { error: "no metrics here" }];
      return [200, await o.metrics(), "text/plain; version=0.0.4; charset=utf-8"];
    }
    if (!o.db()) return [503, { error: "the history database is opening" }];
    const parts = url.pathname.slice("/api/history/".length).split("/");
    const t = now();
    if (parts[0] === "routers" && parts.length >= 2) {
      const id = parts[1];
      if (!ROUTER_ID.test(id)) throw new BadRequest("router id: letters, digits and _.:- (at most 64)");
      if (parts.length === 2) {
        params(url, [], 1, 1);
        const r = await read((db) => routerSummary(db, id));
        return r ? [200, r] : [404, { error: `no history for router ${id}` }];
      }
      if (parts.length === 3 && parts[2] === "timeline") {
        const p = params(url, ["range", "limit"], 1000, 200);
        const from = t - RANGES[p.range].ms;
        return [200, { router: id, range: p.range, from, to: t, events: await read((db) => timeline(db, id, from, t + 1, p.limit)) }];
      }
      if (parts.length === 3 && parts[2] === "links") {
        const p = params(url, ["range"], 1, 1);
        const r = RANGES[p.range];
        const from = t - r.ms;
        return [200, { router: id, range: p.range, from, to: t, bucketS: r.linkBucketS, links: await read((db) => linkSeries(db, id, from, t + 1, r.linkBucketS, MAX_LINKS, linkKind)) }];
      }
    }
    if (parts.length === 2 && parts[0] === "fleet" && parts[1] === "routers") {
      const p = params(url, ["limit"], 5000, 1000);
      return [200, { routers: await read((db) => fleetRouters(db, p.limit)) }];
    }
    if (parts.length === 2 && parts[0] === "fleet" && parts[1] === "failovers") {
      const p = params(url, ["range"], 1, 1);
      const r = RANGES[p.range];
      const from = t - r.ms;
      return [200, { range: p.range, from, to: t, bucketS: r.fleetBucketS, points: await read((db) => fleetFailovers(db, from, t + 1, r.fleetBucketS)) }];
    }
    if (parts.length === 2 && parts[0] === "fleet" && parts[1] === "top-switchers") {
      const p = params(url, ["range", "limit"], 100, 10);
      const from = t - RANGES[p.range].ms;
      return [200, { range: p.range, from, to: t, routers: await read((db) => topSwitchers(db, from, t + 1, p.limit)) }];
    }
    if (parts.length === 2 && parts[0] === "fleet" && parts[1] === "timeline") {
      const p = params(url, ["range", "limit"], 1000, 200);
      const from = t - RANGES[p.range].ms;
      return [200, { range: p.range, from, to: t, events: await read((db) => fleetTimeline(db, from, t + 1, p.limit)) }];
    }
    return [404, { error: "no such history resource; there are /api/history/routers/<id>[/timeline|/links], /api/history/fleet/routers, /api/history/fleet/failovers, /api/history/fleet/top-switchers, /api/history/fleet/timeline (the README's Fleet history section describes them)" }];
  }
}
