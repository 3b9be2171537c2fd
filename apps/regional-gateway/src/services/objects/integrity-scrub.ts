import { asc, gt } from "drizzle-orm";
import { objectMetadata } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import { CANDIDATE_COLUMNS, verifyOne, type Candidate } from "./integrity.ts";

const PAGE = 100;

export interface ScrubPass { checked: number; failed: number }

/**
 * Re-hashes every object of the region, one at a time, at most `objectsPerSecond`, then
 * pauses `intervalMs` and starts over: damage nobody reads is found too. A mismatch or
 * missing bytes are recorded exactly as on a GET or an on-demand verification (object marked,
 * one critical event per broken version); an intact object that was marked is healed. Read
 * errors (a store briefly away) are skipped: the next pass tries again.
 */
export class IntegrityScrub {
  private stopped = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly deps: Deps;
  private readonly opts: { intervalMs: number; objectsPerSecond: number };

  constructor(deps: Deps, opts: { intervalMs: number; objectsPerSecond: number }) {
    this.deps = deps;
    this.opts = opts;
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  /** One full pass over every object (also what the loop runs). */
  async pass(): Promise<ScrubPass> {
    const result = { checked: 0, failed: 0 };
    const gap = 1000 / this.opts.objectsPerSecond;
    let after: string | undefined;
    while (!this.stopped) {
      const page: Candidate[] = await this.deps.db
        .select(CANDIDATE_COLUMNS)
        .from(objectMetadata)
        .where(after ? gt(objectMetadata.objectId, after) : undefined)
        .orderBy(asc(objectMetadata.objectId))
        .limit(PAGE);
      for (const obj of page) {
        if (this.stopped) break;
        const started = performance.now();
        const tenant = await this.deps.targets.recorded(obj.customerId, obj.storageProviderId);
        const outcome = await verifyOne(this.deps, tenant, obj, "scrub");
        if (outcome.kind !== "replaced") result.checked++;
        if (outcome.kind === "bad") result.failed++;
        await this.sleep(gap - (performance.now() - started));
      }
      if (page.length < PAGE) break;
      after = page.at(-1)!.objectId;
    }
    return result;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const { checked, failed } = await this.pass();
        if (failed) this.deps.logger.error({ checked, failed }, "integrity scrub found damaged objects");
        else this.deps.logger.debug({ checked }, "integrity scrub pass done");
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message }, "integrity scrub pass failed");
      }
      await this.sleep(this.opts.intervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
      this.timer.unref();
    });
  }
}

/** Starts the scrub when configured (interval > 0); returns its stop function. */
export function startIntegrityScrub(deps: Deps): () => Promise<void> {
  const intervalMs = deps.config.integrityScrubIntervalMs ?? 0;
  if (intervalMs <= 0) return async () => {};
  const scrub = new IntegrityScrub(deps, { intervalMs, objectsPerSecond: deps.config.integrityScrubObjectsPerSecond ?? 5 });
  scrub.start();
  return () => scrub.stop();
}
