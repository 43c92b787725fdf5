// The console's HTTP API, on the dashboard's origin (/api/console/...):
//   POST login {name, password}     a session cookie (HttpOnly, SameSite=Strict), audited either way
//   POST logout                     ends the session
//   GET  me                         who is logged in, with which role, until when (401 if nobody)
//   GET  audit?limit=N              the newest audit rows (any role)
//   POST routers/<id>/failover {link, holdMs?} | probe-now {link?} | reboot {reason?}
//   POST routers/<id>/config {config, confirm}: without confirm the changes against the last
//        config pushed from here; with it, the push
//   POST routers/<id>/labels {site, tags}: where the router is and what it is, for groups on the page
// Actions need the operator role (a viewer gets 403, audited as denied) and are answered with the
// router's reply. POSTs must be same-origin JSON (a cross-site form cannot send that; the cookie
// is SameSite=Strict too).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Sql } from "../db/sql";
import { addOperator, audit, login, logout, recentAudit, sessionOf, SESSION_TTL_MS, type Session } from "./operators";
import { CommandSender, configDiff } from "./commands";

const COOKIE = "fleet_session";
const BODY_MAX = 16384;
const ROUTER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const LINK = /^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/;
/** What the router stores at most (README: config only, 3800 bytes). */
const CONFIG_MAX = 3800;
/**
 * How long a command from the console may wait before the router refuses it (its uptime as the
 * router will judge it; the firmware takes at most 10 minutes). A command that sat in a broker
 * queue while the router was away must not run when it comes back.
 */
export const COMMAND_TTL_MS = 60000;

export interface ConsoleOptions { db: Sql; sender: CommandSender; sessionTtlMs?: number; commandTtlMs?: number }

/**
 * Dates a command for the router's current boot: its epoch and boot id, and an expiry on its own
 * clock (uptime now, from the boot's clock zero the history learnt from heartbeats, plus the TTL).
 * Null when the history has no heartbeat of the boot the router last announced.
 */
export async function commandDate(db: Sql, router: string, ttlMs: number): Promise<{ epoch: number; bootId?: string; expiresAtMs: number } | null> {
  const rows = await db.query<{ epoch: number | null; boot_id: string | null; clock_epoch: number | null; clock_boot_id: string | null; up_ms: number | null }>(
    `SELECT epoch, boot_id, clock_epoch, clock_boot_id, extract(epoch FROM (now() - clock_zero_at)) * 1000 AS up_ms FROM routers WHERE id = $1`, [router]);
  const r = rows[0];
  if (!r || r.clock_epoch === null || r.up_ms === null) return null;
  // A birth of a newer boot than the one whose clock is known: its uptime is not known yet.
  if ((r.epoch !== null && r.epoch !== r.clock_epoch) || (r.boot_id !== null && r.clock_boot_id !== null && r.boot_id !== r.clock_boot_id)) return null;
  if (r.clock_epoch < 1) return null;
  return { epoch: r.clock_epoch, ...(r.clock_boot_id ? { bootId: r.clock_boot_id } : {}), expiresAtMs: Math.max(0, Math.round(Number(r.up_ms))) + ttlMs };
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

function tokenOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, v] = part.trim().split("=");
    if (k === COOKIE) return v;
  }
  return undefined;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) throw new HttpError(415, "send JSON (content-type: application/json)");
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") throw new HttpError(403, "console requests come from the console page itself");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > BODY_MAX) throw new HttpError(413, `body over ${BODY_MAX} bytes`);
    chunks.push(c as Buffer);
  }
  let v: unknown;
  try { v = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"); } catch { throw new HttpError(400, "body is not JSON"); }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new HttpError(400, "body must be a JSON object");
  return v as Record<string, unknown>;
}

const str = (v: unknown, what: string, re: RegExp, optional = false): string | undefined => {
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string" || !re.test(v)) throw new HttpError(400, `${what}: ${v === undefined ? "missing" : "not valid"}`);
  return v;
};

/** Whether a request carries a live console session (any role): the dashboard server's gate for the broker login. */
export function hasConsoleSession(db: Sql): (req: IncomingMessage) => Promise<boolean> {
  return async (req) => (await sessionOf(db, tokenOf(req))) !== null;
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$/;
const TAGS_MAX = 8;

/** A router's site (or none) and tags, as an operator sends them: bounded, and named where wrong. */
function labels(b: Record<string, unknown>): { site: string | null; tags: string[] } {
  const site = b.site === null || b.site === "" || b.site === undefined ? null : b.site;
  if (site !== null && (typeof site !== "string" || !LABEL.test(site))) throw new HttpError(400, "site: letters, digits and _.:- (at most 32), or empty");
  const tags = b.tags ?? [];
  if (!Array.isArray(tags) || tags.length > TAGS_MAX) throw new HttpError(400, `tags: a list of at most ${TAGS_MAX}`);
  for (const t of tags) if (typeof t !== "string" || !LABEL.test(t)) throw new HttpError(400, `tags: ${JSON.stringify(String(t)).slice(0, 40)} is not letters, digits and _.:- (at most 32)`);
  return { site, tags: [...new Set(tags as string[])].sort() };
}

/** Returns a handler that answers /api/console/* and says whether it did. */
export function consoleApi(o: ConsoleOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const ttl = o.sessionTtlMs ?? SESSION_TTL_MS;
  const json = (res: ServerResponse, status: number, v: unknown, extra: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra });
    res.end(JSON.stringify(v));
  };
  const need = async (req: IncomingMessage): Promise<Session> => {
    const s = await sessionOf(o.db, tokenOf(req));
    if (!s) throw new HttpError(401, "log in first (or the session expired)");
    return s;
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const m = req.method ?? "GET";
    if (path === "login" && m === "POST") {
      const b = await body(req);
      const name = typeof b.name === "string" ? b.name.slice(0, 64) : "";
      const got = await login(o.db, name, typeof b.password === "string" ? b.password : "", ttl);
      if (!got) {
        await audit(o.db, { operator: name || null, role: null, action: "login", outcome: "refused", reply: "wrong name or password" });
        throw new HttpError(401, "wrong name or password");
      }
      await audit(o.db, { operator: got.session.name, role: got.session.role, action: "login", outcome: "ok" });
      return json(res, 200, got.session, {
        "set-cookie": `${COOKIE}=${got.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(ttl / 1000)}${req.headers["x-forwarded-proto"] === "https" || (req.socket as TLSSocket).encrypted ? "; Secure" : ""}`,
      });
    }
    if (path === "logout" && m === "POST") {
      await body(req);
      const token = tokenOf(req);
      const s = await sessionOf(o.db, token);
      if (token) await logout(o.db, token);
      if (s) await audit(o.db, { operator: s.name, role: s.role, action: "logout", outcome: "ok" });
      return json(res, 200, { ok: true }, { "set-cookie": `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
    }
    if (path === "me" && m === "GET") return json(res, 200, await need(req));
    if (path === "audit" && m === "GET") {
      await need(req);
      const limit = Number(new URL(req.url ?? "/", "http://x").searchParams.get("limit") ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, "limit: 1..500");
      return json(res, 200, { rows: await recentAudit(o.db, limit) });
    }
    const lab = /^routers\/([^/]+)\/labels$/.exec(path);
    if (lab && m === "POST") {
      const router = str(decodeURIComponent(lab[1]), "router id", ROUTER) as string;
      const s = await need(req);
      const b = await body(req);
      const request = JSON.stringify(b).slice(0, 2000);
      if (s.role !== "operator") {
        await audit(o.db, { operator: s.name, role: s.role, action: "labels", routerId: router, request, outcome: "denied", reply: "viewer role" });
        throw new HttpError(403, `${s.name} is a viewer: labels need the operator role`);
      }
      const { site, tags } = labels(b);
      await o.db.query(`INSERT INTO router_labels (router_id, site, tags, updated_by) VALUES ($1, $2, $3::text[], $4)
        ON CONFLICT (router_id) DO UPDATE SET site = excluded.site, tags = excluded.tags, updated_at = now(), updated_by = excluded.updated_by`, [router, site, tags, s.name]);
      await audit(o.db, { operator: s.name, role: s.role, action: "labels", routerId: router, request, outcome: "ok" });
      return json(res, 200, { router, site, tags });
    }
    const a = /^routers\/([^/]+)\/(failover|probe-now|reboot|config)$/.exec(path);
    if (a && m === "POST") {
      const router = str(decodeURIComponent(a[1]), "router id", ROUTER) as string;
      const action = a[2];
      const s = await need(req);
      const b = await body(req);
      const what = action === "config" ? "config-push" : action;
      if (s.role !== "operator") {
        await audit(o.db, { operator: s.name, role: s.role, action: what, routerId: router, request: JSON.stringify(b).slice(0, 2000), outcome: "denied", reply: "viewer role" });
        throw new HttpError(403, `${s.name} is a viewer: actions need the operator role`);
      }
      let subtopic = "cmd/" + action, payload: Record<string, unknown>;
      if (action === "failover") {
        payload = { link: str(b.link, "link", LINK) };
        if (b.holdMs !== undefined) {
          if (!Number.isInteger(b.holdMs) || (b.holdMs as number) < 0 || (b.holdMs as number) > 86400000) throw new HttpError(400, "holdMs: 0..86400000");
          payload.holdMs = b.holdMs;
        }
      } else if (action === "probe-now") {
        const link = str(b.link, "link", LINK, true);
        payload = link ? { link } : {};
      } else if (action === "reboot") {
        payload = { reason: `console: ${s.name}`.slice(0, 120) };
      } else {
        const config = b.config;
        if (!config || typeof config !== "object" || Array.isArray(config)) throw new HttpError(400, "config: a JSON object (the device config's fields to set)");
        if (JSON.stringify(config).length > CONFIG_MAX) throw new HttpError(400, `config: over ${CONFIG_MAX} bytes`);
        const last = await o.db.query<{ config: string; pushed_at: Date; pushed_by: string }>("SELECT config, pushed_at, pushed_by FROM router_configs WHERE router_id = $1", [router]);
        const before = last[0] ? JSON.parse(last[0].config) as unknown : {};
        const changes = configDiff(before, config);
        if (b.confirm !== true) {
          return json(res, 200, { changes, against: last[0] ? `the config ${last[0].pushed_by} pushed at ${new Date(last[0].pushed_at).toISOString()}` : "the router's defaults (nothing pushed from here yet)" });
        }
        subtopic = "config/set";
        payload = { config };
      }
      // Every command is dated for the router's boot and expires (COMMAND_TTL_MS): one that waited
      // at the broker while the router was away, or is replayed later, is refused by the router.
      const dated = await commandDate(o.db, router, o.commandTtlMs ?? COMMAND_TTL_MS);
      if (!dated) throw new HttpError(409, `${router}: no heartbeat of its current boot yet, so a command cannot be dated for it; try again in a few seconds`);
      const { request, reply } = await o.sender.send(router, subtopic, { ...payload, ...dated });
      const outcome = reply === null ? "no-reply" : reply.ok ? "ok" : "refused";
      if (action === "config" && reply?.ok) {
        await o.db.query(`INSERT INTO router_configs (router_id, config, pushed_by) VALUES ($1, $2, $3)
          ON CONFLICT (router_id) DO UPDATE SET config = excluded.config, pushed_at = now(), pushed_by = excluded.pushed_by`, [router, JSON.stringify(payload.config), s.name]);
      }
      await audit(o.db, { operator: s.name, role: s.role, action: what, routerId: router, request, outcome, reply: reply ? JSON.stringify(reply) : "no reply within the wait" });
      return json(res, 200, { outcome, reply });
    }
    throw new HttpError(404, `no console endpoint ${m} /api/console/${path.slice(0, 80)}`);
  };

  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (!path.startsWith("/api/console/")) return false;
    route(req, res, path.slice("/api/console/".length)).catch((e: unknown) => {
      if (res.headersSent) return res.end();
      if (e instanceof HttpError) return json(res, e.status, { error: e.message });
      json(res, 500, { error: "console error: " + (e instanceof Error ? e.message : String(e)).slice(0, 200) });
    });
    return true;
  };
}

export { addOperator };

