// The command-line tools' flag walk and exit codes, the same for every tool:
//   --help / -h anywhere: the usage on stdout, exit 0, nothing else done;
//   a usage error (unknown flag, missing or bad value): "error: ..." and the usage on stderr, exit 2;
//   anything else that stops the tool (a broker it cannot reach, a bad file): "error: ..." on stderr, exit 1.

/** A mistake in the command line: exit 2 with the usage. */
export class UsageError extends Error {}

export function unknownOption(flag: string): UsageError {
  return new UsageError(flag.startsWith("-") ? `unknown option ${flag}` : `unexpected argument ${JSON.stringify(flag)}`);
}

export function* flags(argv: readonly string[], _usage?: string): Generator<{ flag: string; value: () => string }> {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    yield {
      flag,
      value: () => {
        const v = argv[++i];
        if (v === undefined || (v.startsWith("--") && v.length > 2)) throw new UsageError(`${flag} needs a value`);
        return v;
      },
    };
  }
}

/** Whether the command line asks for help (before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/**
 * Runs a tool's main with the shared conventions above. `main` returns the exit code (or nothing
 * for 0); a tool that keeps running (servers) resolves only when it is done.
 */
export function runTool(usage: string, main: (argv: string[]) => Promise<number | void> | number | void): void {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(usage.replace(/\n?$/, "\n"));
    process.exitCode = 0;
    return;
  }
  const fail = (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n${usage}`);
      process.exit(2);
    }
    console.error("error: " + (e instanceof Error ? e.message : String(e)));
    process.exit(1);
  };
  try {
    Promise.resolve(main(argv)).then((code) => { if (typeof code === "number") process.exitCode = code; }, fail);
  } catch (e) {
    fail(e);
  }
}
