import { routingLog } from "@s3gw/schema-global";
import type { GlobalDb } from "./db.ts";
import { errorSummary } from "./errors.ts";
import type { Logger } from "./logger.ts";

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
  /** Upper bound on buffered rows; beyond it the oldest are dropped (and counted). */
  maxBuffered?: number;
}

export function insertRoutingLogRows(db: GlobalDb): (rows: RoutingLogEntry[]) => Promise<void> {
  return async (rows) => {
    await db.insert(routingLog).values(rows);
  };
}

/**
 * Keeps routing-log writes off the request path: entries are buffered and written in
 * batches. When the database is down the buffer stays bounded, so an outage costs log
 * rows, never memory or request latency.
 */
export class RoutingLogBuffer implements RoutingLogSink {
  readonly #insert: (rows: RoutingLogEntry[]) => Promise<void>;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #maxBuffered: number;
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

  stats(): { buffered: number; written: number; dropped: number } {
    return { buffered: this.#buffer.length, written: this.#written, dropped: this.#dropped };
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
    if (this.#buffer.length > 0) {
      this.#dropped += this.#buffer.length;
      this.#logger.error({ dropped: this.#buffer.length }, "routing log rows lost at shutdown");
      this.#buffer = [];
    }
  }

  async #drain(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#batchSize);
      try {
        await this.#insert(batch);
        this.#written += batch.length;
        if (this.#failing) this.#logger.info({ dropped: this.#dropped }, "routing log writes recovered");
        this.#failing = false;
      } catch (err) {
        // Put the batch back in front, still respecting the bound, and retry on the next tick.
        this.#buffer = batch.concat(this.#buffer);
        if (this.#buffer.length > this.#maxBuffered) {
          const excess = this.#buffer.length - this.#maxBuffered;
          this.#buffer.splice(0, excess);
          this.#dropped += excess;
        }
        if (!this.#failing) this.#logger.warn({ error: errorSummary(err), buffered: this.#buffer.length }, "routing log write failed; buffering");
        this.#failing = true;
        return;
      }
    }
  }
}
