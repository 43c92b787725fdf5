// Serves the dashboard page (built into dist/dashboard) and its config.json: where the broker's
// WebSocket listener is and which identity the page uses (a read-only one on a secured broker).
//
// config.json holds that login, so it goes only to the page itself: the server listens on loopback
// only, answers only requests whose Host is its own address (a DNS-rebinding page names another
// host), and hands config.json only to same-origin fetches (browsers say so in Sec-Fetch-Site; a
// page of another site cannot forge it, and CORS keeps it from reading the answer anyway). Any
// local program can send that header, though: with a console (npm start), the broker login is in
// config.json only for a request that carries a live console session (an operator or viewer
// logged in; the cookie is HttpOnly and SameSite=Strict), and everyone else gets the page's
// settings without it, so the page shows a login first. Off loopback it serves HTTPS only, and only with the console: there the history API and
// /metrics too go only to a request with a live session (401 otherwise; the page and its login
// form are public). A plain-HTTP listener off loopback is refused, as the collector refuses one
// for its history port.
//
// The page's files are read once, at start: `npm run build` deletes and rewrites dist/ while a
// running server keeps serving the copy it started with.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFileSync, readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FleetLimits } from "../../dashboard/src/fleet-state";

export interface PageConfig {
  wsUrl: string; username?: string; password?: string; silentMs: number; limits?: Partial<FleetLimits>;
  /** Set when the broker login was left out: the page connects once someone has logged in to the console. */
  loginRequired?: boolean;
}

export interface ServeOptions {
  /** Where the built page is (default: dist/dashboard next to this module). */
  dir?: string;
  /** Answers the requests it knows (the fleet history API, /metrics) and says so; the page serves the rest. */
  api?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The console's login, audit and actions (fleet/console/console-api.ts): the only POSTs this server takes. */
  console?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * Whether a request comes with a live console session. Given, config.json carries the broker
   * login only to such requests. npm start always gives it; only tests and benches that serve the
   * page without a console leave it out.
   */
  loggedIn?: (req: IncomingMessage) => Promise<boolean>;
  /** HTTPS with this certificate and key (PEM). Required off loopback; with it, `console` and `loggedIn` are too. */
  tls?: { cert: string; key: string };
  /** Names the page is reached by (host or host:port) besides the address it listens on: the certificate's name. */
  allowHosts?: readonly string[];
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

export function dashboardDir(): string {
  const here = import.meta.url;
  return fileURLToPath(new URL(here.includes("/dist/tests/") ? "../dashboard/" : "./dashboard/", here));
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The broker's WebSocket origin, the one place the page may connect to besides its own. */
function brokerOrigin(wsUrl: string): string {
  let u: URL;
  try {
    u = new URL(wsUrl);
  } catch {
    throw new Error(`dashboard: wsUrl ${JSON.stringify(wsUrl)} is not a URL`);
  }
  if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new Error(`dashboard: wsUrl must be ws:// or wss://, not ${u.protocol}`);
  if (u.username || u.password) throw new Error("dashboard: wsUrl must not carry credentials (config has username and password)");
  return u.origin;
}

/**
 * The headers every answer carries. MQTT.js keeps its keepalive timer in a worker made from a blob
 * (timers in background tabs are throttled): worker-src allows that and nothing else; making a
 * blob worker needs script running already, which script-src keeps to the page's own file.
 */
export function securityHeaders(wsUrl: string): Record<string, string> {
  const csp = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    `connect-src 'self' ${brokerOrigin(wsUrl)}`, "worker-src blob:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join("; ");
  return {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), usb=(), serial=()",
  };
}

/** The built page, read into memory: file name -> bytes. */
function loadPage(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`dashboard: no built page in ${dir} (run npm run build)`);
  }
  for (const name of names) if (/^[a-z0-9.-]+$/i.test(name) && TYPES[extname(name)]) files.set(name, readFileSync(join(dir, name)));
  for (const need of ["index.html", "app.js"]) if (!files.has(need)) throw new Error(`dashboard: ${need} missing in ${dir} (run npm run build)`);
  return files;
}

export async function serveDashboard(config: PageConfig, port = 0, host = "127.0.0.1", options: ServeOptions = {}): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  if (!isLoopback(host) && !options.tls) {
    throw new Error(`dashboard: refusing to listen on ${host} without TLS: off loopback the page (its logins, its broker login) ` +
      "is served over HTTPS only: give a certificate and key (npm start -- --page-tls-cert FILE --page-tls-key FILE)");
  }
  // Over TLS the page may be reached from anywhere: what it holds goes only to a signed-in session.
  const gated = options.tls !== undefined;
  if (gated && (!options.loggedIn || !options.console)) throw new Error("dashboard: served over TLS it needs the console's logins (console and loggedIn)");
  if (host === "0.0.0.0" || host === "::") {
    if (!options.allowHosts?.length) throw new Error(`dashboard: listening on ${host}, name the host the page is reached by (--page-allow-host NAME): requests naming any other are refused (DNS rebinding)`);
  }
  const headers = securityHeaders(config.wsUrl);
  const files = loadPage(options.dir ?? dashboardDir());
  const configBody = JSON.stringify(config);
  const { username: _u, password: _p, ...settings } = config;
  const withoutLogin = JSON.stringify({ ...settings, loginRequired: true });
  let hosts = new Set<string>();
  const scheme = gated ? "https" : "http";
  const refuse = (res: ServerResponse) => send(res, 401, "application/json; charset=utf-8", JSON.stringify({ error: "log in on the page first" }), { "cache-control": "no-store" });

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...headers, "content-type": type, ...extra });
    res.end(res.req.method === "HEAD" ? undefined : body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const hostHeader = (req.headers.host ?? "").toLowerCase();
    if (!hosts.has(hostHeader)) {
      return send(res, 421, "text/plain; charset=utf-8", "misdirected request: this server answers only to its own address\n");
    }
    if (options.console?.(req, res)) return;
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n", { allow: "GET, HEAD" });
    const path = (req.url ?? "/").split("?")[0];
    const secret = path === "/config.json" || path === "/metrics" || path.startsWith("/api/");
    // Over TLS the history and /metrics need a session too (config.json is answered below, without the login).
    if (gated && secret && path !== "/config.json" && !(await (options.loggedIn as (r: IncomingMessage) => Promise<boolean>)(req))) return refuse(res);
    // The fleet history API and /metrics (fleet/api/history-api.ts): same origin as the page, behind the same Host check.
    if (options.api?.(req, res)) return;
    if (path === "/config.json") {
      const site = req.headers["sec-fetch-site"];
      const from = req.headers.origin;
      if (site !== "same-origin" || (from !== undefined && from !== `${scheme}://${hostHeader}`)) {
        return send(res, 403, "text/plain; charset=utf-8", "config.json is for the dashboard page itself (same-origin fetch only)\n",
          { "cache-control": "no-store" });
      }
      const answer = (body: string) => send(res, 200, "application/json; charset=utf-8", body, { "cache-control": "no-store", vary: "Sec-Fetch-Site, Origin, Cookie" });
      if (!options.loggedIn) return answer(configBody);
      options.loggedIn(req).then((ok) => answer(ok ? configBody : withoutLogin), () => answer(withoutLogin));
      return;
    }
    const name = path === "/" ? "index.html" : path.slice(1);
    const body = files.get(name);
    if (!body) return send(res, 404, "text/plain; charset=utf-8", "not found\n");
    send(res, 200, TYPES[extname(name)], body, { "cache-control": "no-cache" });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => { if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "dashboard error\n"); else res.end(); });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" }, onRequest) : createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject); // e.g. the port is taken: the caller may try another
    server.listen(port, host, () => { server.off("error", reject); resolve(); });
  });
  const bound = (server.address() as { port: number }).port;
  const name = host.includes(":") ? `[${host}]` : host;
  const own = host === "0.0.0.0" || host === "::" ? [] : [`${name}:${bound}`];
  const named = (options.allowHosts ?? []).map((h) => h.toLowerCase()).flatMap((h) => h.includes(":") && !h.startsWith("[") ? [h] : [`${h}:${bound}`, ...(bound === (gated ? 443 : 80) ? [h] : [])]);
  hosts = new Set([...own, `localhost:${bound}`, ...named]);
  const origin = `${scheme}://${own[0] ?? named[0]}`;
  return { url: `${origin}/`, server, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
