import type { Logger } from "pino";
import type { WorkerLease } from "../events/dispatch/lease.ts";

/**
 * Runs a background task now (unless told otherwise) and every `intervalMs` after, never two
 * runs at once; a failure is logged and the next tick tries again. Returns the stop function.
 * `lease`: the task is once per region — a tick runs it only on the instance holding the lease,
 * and a long run keeps renewing it, so no other instance starts the same task meanwhile.
 */
export function startPeriodic(
  name: string,
  task: () => Promise<void>,
  intervalMs: number,
  logger: Logger,
  opts: { runNow?: boolean; lease?: WorkerLease | undefined } = {},
): () => void {
  let running = false;
  const lease = opts.lease;
  const tick = async () => {
    if (running) return;
    running = true;
    let renewing: ReturnType<typeof setInterval> | undefined;
    try {
      if (lease && !(await lease.keep())) return;
      if (lease) {
        renewing = setInterval(() => void lease.keep().catch(() => {}), lease.renewEveryMs);
        renewing.unref();
      }
      await task();
    } catch (err) {
      logger.warn({ err: (err as Error).message, task: name }, `${name} failed`);
    } finally {
      clearInterval(renewing);
      running = false;
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  if (opts.runNow ?? true) void tick();
  return () => clearInterval(timer);
}
