import { createServer, connect } from "node:net";

/** A free TCP port on loopback (never the system's 1883). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether something accepts a TCP connection at host:port (bounded by `timeoutMs`). */
export function accepts(port: number, host = "127.0.0.1", timeoutMs = 2000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const c = connect(port, host);
    const t = setTimeout(() => { c.destroy(); resolve(false); }, timeoutMs);
    c.once("connect", () => { clearTimeout(t); c.destroy(); resolve(true); });
    c.once("error", () => { clearTimeout(t); resolve(false); });
  });
}

/** Resolves once something accepts connections on the port (bounded). */
export async function waitForPort(port: number, timeoutMs = 10000, host = "127.0.0.1"): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await accepts(port, host)) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
