// Operators of the fleet console: a name, a role (viewer: watch; operator: also act), a salted
// scrypt hash of the password. A login makes a session: a random token the browser keeps in an
// HttpOnly cookie, stored here only as its SHA-256, valid until it expires. Every login (refused
// ones too) and every action goes to the audit table.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import type { Queryable } from "../db/sql";

export type Role = "viewer" | "operator";
export const ROLES: readonly Role[] = ["viewer", "operator"];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
/** Sessions last 8 hours (a shift) unless told otherwise. */
export const SESSION_TTL_MS = 8 * 3600000;
const TEXT_MAX = 2000;

const scrypt = (password: string, salt: string) => new Promise<Buffer>((resolve, reject) =>
  scryptCb(password, salt, 32, { N: 16384, r: 8, p: 1 }, (e, key) => (e ? reject(e) : resolve(key))));
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export interface Session { name: string; role: Role; expiresAt: number }

export async function addOperator(db: Queryable, name: string, role: Role, password: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`operator name '${name.slice(0, 64)}': letters, digits, _.@-, at most 64`);
  if (!ROLES.includes(role)) throw new Error(`role '${String(role).slice(0, 20)}' (allowed: ${ROLES.join(", ")})`);
  if (password.length < 12) throw new Error("a password of at least 12 characters");
  const salt = randomBytes(16).toString("base64url");
  const hash = (await scrypt(password, salt)).toString("base64url");
  await db.query(`INSERT INTO operators (name, role, salt, hash) VALUES ($1, $2, $3, $4)
    ON CONFLICT (name) DO UPDATE SET role = excluded.role, salt = excluded.salt, hash = excluded.hash`, [name, role, salt, hash]);
}

/** A session token for a right name and password, else null (the same time either way: scrypt runs). */
export async function login(db: Queryable, name: string, password: string, ttlMs = SESSION_TTL_MS): Promise<{ token: string; session: Session } | null> {
  const rows = NAME.test(name) ? await db.query<{ role: Role; salt: string; hash: string }>("SELECT role, salt, hash FROM operators WHERE name = $1", [name]) : [];
  const row = rows[0];
  const got = await scrypt(password.slice(0, 1024), row?.salt ?? "no-such-operator");
  if (!row || !timingSafeEqual(got, Buffer.from(row.hash, "base64url"))) return null;
  const token = randomBytes(32).toString("base64url");
  const expiresAt = Date.now() + ttlMs;
  await db.query("DELETE FROM operator_sessions WHERE expires_at < now()");
  await db.query("INSERT INTO operator_sessions (token_sha256, operator, expires_at) VALUES ($1, $2, to_timestamp($3::float8 / 1000))",
    [sha256(token), name, expiresAt]);
  return { token, session: { name, role: row.role, expiresAt } };
}

/** The session a token names, if it has not expired (and its operator still exists, with today's role). */
export async function sessionOf(db: Queryable, token: string | undefined): Promise<Session | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const rows = await db.query<{ name: string; role: Role; expires: number }>(`
    SELECT o.name, o.role, extract(epoch FROM s.expires_at) * 1000 AS expires FROM operator_sessions s
    JOIN operators o ON o.name = s.operator WHERE s.token_sha256 = $1 AND s.expires_at > now()`, [sha256(token)]);
  return rows[0] ? { name: rows[0].name, role: rows[0].role, expiresAt: Number(rows[0].expires) } : null;
}

export async function logout(db: Queryable, token: string): Promise<void> {
  await db.query("DELETE FROM operator_sessions WHERE token_sha256 = $1", [sha256(token)]);
}

export interface AuditRow {
  operator: string | null; role: Role | null; action: string; routerId?: string | null;
  request?: string | null; outcome: "ok" | "refused" | "denied" | "no-reply" | "error"; reply?: string | null;
}

const cut = (s: string | null | undefined) => (s == null ? null : s.length > TEXT_MAX ? s.slice(0, TEXT_MAX) + "…" : s);

export async function audit(db: Queryable, r: AuditRow): Promise<void> {
  await db.query("INSERT INTO audit (operator, role, action, router_id, request, outcome, reply) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [cut(r.operator)?.slice(0, 64) ?? null, r.role, r.action, r.routerId ?? null, cut(r.request), r.outcome, cut(r.reply)]);
}

export async function recentAudit(db: Queryable, limit: number): Promise<Array<Record<string, unknown>>> {
  const rows = await db.query<{ at: Date } & Record<string, unknown>>(
    "SELECT id, at, operator, role, action, router_id, request, outcome, reply FROM audit ORDER BY id DESC LIMIT $1", [limit]);
  return rows.map((r) => ({ ...r, id: Number(r.id), at: new Date(r.at).getTime() }));
}
