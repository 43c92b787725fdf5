// The command-line tools' flag walk: each flag in turn, with a way to take the next argument as
// its value (an error naming the flag and the usage when there is none).
export function* flags(argv: readonly string[], usage: string): Generator<{ flag: string; value: () => string }> {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    yield {
      flag,
      value: () => {
        const v = argv[++i];
        if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
        return v;
      },
    };
  }
}
