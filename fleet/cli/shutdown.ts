// How every tool ends: on SIGINT (Ctrl-C), SIGTERM (a service manager) or SIGHUP (the terminal
// went away) it runs its stop steps, newest first (clients before the broker they talk to, the
// broker before its secrets), each bounded in time, then exits 0 with its ports released and its
// children and temp dirs gone. A second signal while stopping exits at once; the exit hooks
// (broker/exit-cleanup.ts) still kill children and remove secret dirs.

type Step = { what: string; run: () => Promise<void> | void };

export interface Lifecycle {
  /** Resolves with the signal's name when one arrives. */
  signalled: Promise<NodeJS.Signals>;
  /** Something to undo when stopping (undone in reverse order of registration). */
  onStop(what: string, run: Step["run"]): void;
  /** Run the stop steps and exit with `code`. */
  stop(code?: number): Promise<never>;
}

const STEP_TIMEOUT_MS = 5000;

export function lifecycle(): Lifecycle {
  const steps: Step[] = [];
  let stopping: Promise<never> | null = null;
  let resolveSignal: (s: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((r) => { resolveSignal = r; });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (stopping) {
        console.error(`${sig} again: exiting now`);
        process.exit(1);
      }
      resolveSignal(sig);
    });
  }
  const stop = (code = 0): Promise<never> => {
    stopping ??= (async () => {
      for (const s of [...steps].reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => { console.error(`stopping: ${s.what} took over ${STEP_TIMEOUT_MS} ms; going on`); resolve(); }, STEP_TIMEOUT_MS);
        });
        try {
          await Promise.race([Promise.resolve().then(s.run), timeout]);
        } catch (e) {
          console.error(`stopping: ${s.what}: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          clearTimeout(timer);
        }
      }
      process.exit(code);
    })();
    return stopping;
  };
  return { signalled, onStop: (what, run) => { steps.push({ what, run }); }, stop };
}
