// Waiting in tests and benches, where a real broker, database or process needs wall-clock time.

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
