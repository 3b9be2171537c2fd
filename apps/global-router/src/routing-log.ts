import { sql } from "drizzle-orm";
import type { GlobalDb } from "./db.ts";
import { errorSummary } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { RoutingLogSpool } from "./routing-log-spool.ts";

/** What the global layer records about a routed request: no keys, bucket names or bodies. */
export interface RoutingLogEntry {
  customerId: string;
  regionId: string;
  method: string;
  statusCode: number;
  durationMs: number;
  createdAt: Date;
}

export interface RoutingLogSink {
  record(entry: RoutingLogEntry): void;
}

export interface RoutingLogBufferOptions {
  insert: (rows: RoutingLogEntry[]) => Promise<void>;
  logger: Logger;
  flushIntervalMs?: number;
  batchSize?: number;
  /** Upper bound on buffered rows; beyond it the oldest are dropped (and counted), unless spooled. */
  maxBuffered?: number;
  /** Where rows go while the database is away (and at shutdown), to be replayed when it is back. */
  spool?: RoutingLogSpool | undefined;
}

/**
 * One statement and one parameter per batch: the rows travel as a JSON array and Postgres
 * unpacks them. Drizzle's multi-row insert builds and type-checks six parameters per row in
 * JavaScript, which cost the router more CPU than the rest of a routed request's bookkeeping.
 */
export function insertRoutingLogRows(db: GlobalDb): (rows: RoutingLogEntry[]) => Promise<void> {
  return async (rows) => {
    if (rows.length === 0) return;
    const json = JSON.stringify(rows.map((r) => [r.customerId, r.regionId, r.method, r.statusCode, r.durationMs, r.createdAt.toISOString()]));
    await db.execute(sql`
      insert into routing_log (customer_id, region_id, method, status_code, duration_ms, created_at)
      select r->>0, r->>1, r->>2, (r->>3)::integer, (r->>4)::integer, (r->>5)::timestamptz
      from jsonb_array_elements(${json}::jsonb) as r`);
  };
}

/**
 * Keeps routing-log writes off the request path: entries are buffered and written in
 * batches. When the database is down, rows go to the local spool file (replayed when it
 * returns) and the buffer stays empty; without a spool the buffer stays bounded, so an
 * outage costs log rows, never memory or request latency.
 */
export class RoutingLogBuffer implements RoutingLogSink {
  readonly #insert: (rows: RoutingLogEntry[]) => Promise<void>;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #maxBuffered: number;
  readonly #spool: RoutingLogSpool | undefined;
  #spooled = 0;
  #buffer: RoutingLogEntry[] = [];
  #dropped = 0;
  #written = 0;
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(opts: RoutingLogBufferOptions) {
    this.#insert = opts.insert;
    this.#logger = opts.logger;
    this.#batchSize = opts.batchSize ?? 500;
    this.#maxBuffered = opts.maxBuffered ?? 50_000;
    this.#spool = opts.spool;
    this.#timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 250);
    this.#timer.unref();
  }

  record(entry: RoutingLogEntry): void {
    this.#buffer.push(entry);
    if (this.#buffer.length > this.#maxBuffered) {
      const excess = this.#buffer.length - this.#maxBuffered;
      this.#buffer.splice(0, excess);
      this.#dropped += excess;
    }
    if (this.#buffer.length >= this.#batchSize) void this.flush();
  }

  stats(): { buffered: number; written: number; dropped: number; spooled: number } {
    return { buffered: this.#buffer.length, written: this.#written, dropped: this.#dropped, spooled: this.#spooled };
  }

  /** Writes everything buffered so far (one flush at a time); never rejects. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Stops the timer and writes what is left; rows that still cannot be written are counted as dropped. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    // A flush that was already running when close() began may have missed later rows.
    if (this.#buffer.length > 0) await this.flush();
    if (this.#buffer.length > 0 && this.#spool) {
      const rows = this.#buffer;
      this.#buffer = [];
      try {
        await this.#spool.append(rows);
        this.#spooled += rows.length;
        this.#logger.warn({ spooled: rows.length }, "routing log rows spooled to disk at shutdown; replayed on the next start");
        return;
      } catch (err) {
        this.#buffer = rows;
        this.#logger.error({ error: errorSummary(err) }, "routing log spool write failed at shutdown");
      }
    }
    if (this.#buffer.length > 0) {
      this.#dropped += this.#buffer.length;
      this.#logger.error({ dropped: this.#buffer.length }, "routing log rows lost at shutdown");
      this.#buffer = [];
    }
  }

  async #drain(): Promise<void> {
    if (this.#spool && !(await this.#replaySpool())) return;
    // What was buffered when this flush began, plus any full batch: rows arriving meanwhile wait
    // for the next tick, so a busy router writes a few large batches a second, not a stream of
    // small statements (each one costs the router as much CPU as a few hundred rows do).
    let pending = this.#buffer.length;
    while (this.#buffer.length > 0 && (pending > 0 || this.#buffer.length >= this.#batchSize)) {
      const batch = this.#buffer.splice(0, this.#batchSize);
      pending -= batch.length;
      try {
        await this.#insert(batch);
        this.#written += batch.length;
        if (this.#failing) this.#logger.info({ dropped: this.#dropped }, "routing log writes recovered");
        this.#failing = false;
      } catch (err) {
        if (!this.#failing) this.#logger.warn({ error: errorSummary(err), buffered: this.#buffer.length + batch.length, spool: this.#spool !== undefined }, "routing log write failed; buffering");
        this.#failing = true;
        // Put the batch back in front and retry on the next tick; with a spool, on disk.
        this.#buffer = batch.concat(this.#buffer);
        if (this.#spool) await this.#spillToSpool();
        if (this.#buffer.length > this.#maxBuffered) {
          const excess = this.#buffer.length - this.#maxBuffered;
          this.#buffer.splice(0, excess);
          this.#dropped += excess;
        }
        return;
      }
    }
  }

  /** Moves the buffer to the spool file; on failure the rows stay buffered (bounded). */
  async #spillToSpool(): Promise<void> {
    const rows = this.#buffer;
    this.#buffer = [];
    try {
      await this.#spool!.append(rows);
      this.#spooled += rows.length;
    } catch (err) {
      this.#buffer = rows.concat(this.#buffer);
      this.#logger.error({ error: errorSummary(err) }, "routing log spool write failed; keeping rows in memory");
    }
  }

  /** Replays spooled rows first, so they are written before newer ones; false while the database still refuses. */
  async #replaySpool(): Promise<boolean> {
    try {
      if (!(await this.#spool!.hasRows())) return true;
      const replayed = await this.#spool!.replay(this.#insert, this.#batchSize);
      this.#written += replayed;
      this.#logger.info({ replayed }, "routing log rows replayed from the spool");
      this.#failing = false;
      return true;
    } catch {
      if (this.#buffer.length > 0) await this.#spillToSpool();
      return false;
    }
  }
}
