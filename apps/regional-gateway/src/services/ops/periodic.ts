import type { Logger } from "pino";

/**
 * Runs a background task now (unless told otherwise) and every `intervalMs` after, never two
 * runs at once; a failure is logged and the next tick tries again. Returns the stop function.
 */
export function startPeriodic(
  name: string,
  task: () => Promise<void>,
  intervalMs: number,
  logger: Logger,
  opts: { runNow?: boolean } = {},
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      logger.warn({ err: (err as Error).message, task: name }, `${name} failed`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  if (opts.runNow ?? true) void tick();
  return () => clearInterval(timer);
}
