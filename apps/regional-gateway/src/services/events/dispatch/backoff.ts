/**
 * The pause before retry number `attempts` (1 after the first failure): exponential from
 * `baseMs`, capped at `maxMs`, with full jitter (uniform between 0 and that), so a target that
 * comes back is not hit by every waiting delivery at the same instant.
 */
export function retryDelayMs(attempts: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
