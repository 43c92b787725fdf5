// Reconnect delay with exponential growth and full jitter (uniform in [0, min(cap, base * 2^n))),
// so a fleet that lost its broker together does not come back in the same second.
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random01: number): number {
  const ceiling = Math.min(capMs, baseMs * Math.pow(2, attempt > 30 ? 30 : attempt));
  return Math.floor(random01 * ceiling);
}
