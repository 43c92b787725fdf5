// Serves the dashboard page (built into dist/dashboard) and its config.json: where the broker's
// WebSocket listener is and which identity the page uses (a read-only one on a secured broker).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PageConfig { wsUrl: string; username?: string; password?: string; silentMs: number }

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };

export function dashboardDir(): string {
  const here = import.meta.url;
  return fileURLToPath(new URL(here.includes("/dist/tests/") ? "../dashboard/" : "./dashboard/", here));
}

export async function serveDashboard(config: PageConfig, port = 0, host = "127.0.0.1",
  api?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const dir = dashboardDir();
  const server = createServer((req, res) => {
    if (api?.(req, res)) return; // the fleet history API and /metrics (fleet/api/history-api.ts), same origin as the page
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify(config));
    }
    const file = path === "/" ? "index.html" : path.slice(1);
    if (!/^[a-z0-9.-]+$/i.test(file)) { res.writeHead(404); return res.end(); }
    try {
      const body = readFileSync(join(dir, file));
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end("not found");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject); // e.g. the port is taken: the caller may try another
    server.listen(port, host, () => { server.off("error", reject); resolve(); });
  });
  const addr = server.address() as { port: number };
  return { url: `http://${host}:${addr.port}/`, server, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
