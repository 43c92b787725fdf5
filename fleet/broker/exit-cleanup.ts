// Last-resort cleanup when the process exits any way Node still runs code (normal end,
// process.exit, an uncaught exception): kill the children we started, remove our secret dirs.
// Signals are handled by the tools themselves (fleet/cli/shutdown.ts), which stop things in order.
const jobs = new Set<() => void>();
let installed = false;

export function cleanupOnExit(job: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on("exit", () => {
      for (const j of jobs) {
        try { j(); } catch { /* keep going: the others must still run */ }
      }
    });
  }
  jobs.add(job);
  return () => { jobs.delete(job); };
}
