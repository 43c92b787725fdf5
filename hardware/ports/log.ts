// Log to the debugger / serial console through XS's trace().
import type { Log } from "../../src/ports";

export const log: Log = {
  log: (level, message) => trace(`[${level}] ${message}\n`),
};
