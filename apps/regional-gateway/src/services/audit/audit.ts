import { chainHash, GENESIS_HASH } from "@s3gw/core";
import { operationsLog, type regionalSchema } from "@s3gw/schema-regional";
import { desc, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { type DedicatedConnection, Statement } from "@s3gw/db";
import { hashedContent, storableRow } from "./audit-content.ts";
import { type ChainedRow, insertAuditRows } from "./audit-insert.ts";

export interface OperationRow {
  requestId: string;
  customerId: string | null;
  operationType: string;
  bucketName: string | null;
  objectKey: string | null;
  result: "success" | "denied" | "error";
  statusCode: number;
  errorCode: string | null;
  bytesTransferred: number;
  sourceIp: string | null;
  sourceCountry: string | null;
  crossBorderTransfer: boolean;
  complianceInfo: Record<string, unknown>;
  durationMs: number;
  principal: string | null;
  createdAt: Date;
  /**
   * The audit intent the row fulfils (an object change wrote it in its transaction): deleted in
   * the statement that appends the row. Not a column: the row is the record, the intent only its promise.
   */
  intentId?: string | undefined;
}

export function resultOf(status: number): OperationRow["result"] {
  if (status === 401 || status === 403) return "denied";
  return status < 400 ? "success" : "error";
}

// One chain per region: every writer (every gateway instance) appends under this lock.
const CHAIN_LOCK = 0x5367_7741; // "SgwA"
/** The application_name of the writer's connection. */
export const AUDIT_WRITER_NAME = "s3gw-audit-writer";

// Statements, so the writer's connection prepares them once: a lease is taken and given up
// many times a second under load (maxHoldMs).
const takeChainLock = Statement.sql<Record<string, never>>(sql`select pg_advisory_lock(${sql.raw(String(CHAIN_LOCK))})`);
const giveUpChainLock = Statement.sql<Record<string, never>>(sql`select pg_advisory_unlock(${sql.raw(String(CHAIN_LOCK))})`);
const chainHead = Statement.of<Record<string, never>, { h: string }[]>((db) => db.select({ h: operationsLog.rowHash }).from(operationsLog).orderBy(desc(operationsLog.id)).limit(1));

interface Pending { row: OperationRow; resolve: () => void; reject: (err: unknown) => void }

type RegionalSchema = typeof regionalSchema;

/** Where the log is written: a connection of the writer's own, on which it holds the chain lock. */
export interface AuditDatabase {
  dedicatedConnection(name: string): DedicatedConnection<RegionalSchema>;
}

export interface AuditLogOptions {
  /** Rows per INSERT at most. */
  maxBatch?: number;
  /** How long the chain lock is kept once the queue is empty, for the next request's row. */
  lingerMs?: number;
  /** How long one writer keeps the lock while busy before letting another instance's writer take a turn. */
  maxHoldMs?: number;
}

/** The chain lock held on `conn`, and the hash of the last row this writer appended under it. */
interface Lease { conn: DedicatedConnection<RegionalSchema>; head: string; since: number; closes: number }

/**
 * The operations log, written in batches by one writer per gateway instance. Each `record`
 * resolves only once its row is committed, so a request is never acknowledged with an audit
 * row a crash could lose, while concurrent requests share one INSERT (and one fsync).
 *
 * The chain head is held in memory by the writer that holds the chain lock: the writer takes
 * the session-level advisory lock on a connection of its own, reads the head once, and then
 * appends each batch as a single autocommitted INSERT on that same connection, one statement
 * per batch instead of five (begin, lock, read head, insert, commit). The lock is given up when
 * the queue has been empty for `lingerMs`, after `maxHoldMs` of holding (so other instances of
 * the region wait at most about that long for their turn), and on any failure; a failure also
 * closes the connection unless the database refused the rows themselves, so a lock can never
 * outlive a connection we lost track of. A lease ends when its connection closed (the driver
 * would reconnect without the lock). Whatever happens, the chain cannot fork: prev_hash is
 * unique, so an append under a stale head is refused by the database (and retried under a
 * fresh read of the head); and after any failure the head is read again, so a batch that
 * committed without our hearing of it is chained on.
 */
export class AuditLog {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private lease: Lease | undefined;
  private conn: DedicatedConnection<RegionalSchema> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly database: AuditDatabase;
  private readonly logger: Logger;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly maxHoldMs: number;

  constructor(database: AuditDatabase, logger: Logger, opts: AuditLogOptions = {}) {
    this.database = database;
    this.logger = logger;
    this.maxBatch = opts.maxBatch ?? 500;
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxHoldMs = opts.maxHoldMs ?? 25;
  }

  record(row: OperationRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  queueDepth(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.giveUpLock();
    await this.conn?.close().catch(() => {});
    this.conn = undefined;
  }

  private async drain(): Promise<void> {
    clearTimeout(this.lingerTimer);
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.append(batch.map((p) => p.row));
          for (const p of batch) p.resolve();
        } catch (err) {
          if (batch.length === 1 || !isRowLevelFailure(err)) {
            this.logger.error({ err: errorText(err), rows: batch.length }, "audit batch failed");
            for (const p of batch) p.reject(err);
            continue;
          }
          // One row the database refuses must not fail the others sharing its INSERT: the
          // statement failed whole (the chain head is unchanged), so each row is appended
          // alone, in order, and only the refused ones fail their own request.
          this.logger.warn({ err: errorText(err), rows: batch.length }, "audit batch refused; appending its rows one by one");
          for (const p of batch) {
            try {
              await this.append([p.row]);
              p.resolve();
            } catch (rowErr) {
              this.logger.error({ err: errorText(rowErr), requestId: p.row.requestId, operation: p.row.operationType }, "audit row refused");
              p.reject(rowErr);
            }
          }
        }
      }
    } finally {
      this.flushing = undefined;
      if (this.lease) {
        this.lingerTimer = setTimeout(() => void this.giveUpLockIfIdle(), this.lingerMs);
        this.lingerTimer.unref();
      }
    }
  }

  private async append(rows: OperationRow[]): Promise<void> {
    // A connection that closed took the lock with it: its reconnected session holds nothing.
    if (this.lease && this.lease.conn.closes() !== this.lease.closes) this.dropConnection();
    if (this.lease && performance.now() - this.lease.since > this.maxHoldMs) await this.giveUpLock();
    const lease = this.lease ?? (await this.takeLock());
    let prev = lease.head;
    const values = rows.map((raw) => {
      // Hashed exactly as it will be stored and read back (see audit-content.ts).
      const row = storableRow(raw);
      const rowHash = chainHash(prev, hashedContent(row));
      const v: ChainedRow = { ...row, prevHash: prev, rowHash, intentId: raw.intentId };
      prev = rowHash;
      return v;
    });
    try {
      await insertAuditRows(lease.conn.db, values);
    } catch (err) {
      if (isRowLevelFailure(err)) await this.giveUpLock();
      else this.dropConnection();
      throw err;
    }
    lease.head = prev;
  }

  private async takeLock(): Promise<Lease> {
    const conn = (this.conn ??= this.database.dedicatedConnection(AUDIT_WRITER_NAME));
    const closes = conn.closes();
    try {
      // Sent together: the head is read once the lock is held (the server runs them in order).
      const [, [last]] = await Promise.all([takeChainLock.run(conn.db, {}), chainHead.run(conn.db, {})]);
      this.lease = { conn, head: last?.h ?? GENESIS_HASH, since: performance.now(), closes };
      return this.lease;
    } catch (err) {
      this.dropConnection();
      throw err;
    }
  }

  private async giveUpLockIfIdle(): Promise<void> {
    if (this.flushing || this.queue.length > 0) return;
    this.flushing = this.giveUpLock().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.flushing = this.drain();
    });
  }

  private async giveUpLock(): Promise<void> {
    clearTimeout(this.lingerTimer);
    const lease = this.lease;
    if (!lease) return;
    this.lease = undefined;
    try {
      await giveUpChainLock.run(lease.conn.db, {});
    } catch {
      this.dropConnection(); // the lock goes with the session
    }
  }

  /** Ends the writer's connection, and with it the session's lock; the next batch opens a new one. */
  private dropConnection(): void {
    const conn = this.conn;
    this.lease = undefined;
    this.conn = undefined;
    // Not awaited: against a hung server the goodbye itself waits for its timeout, and the
    // next batch (on a new connection) must not wait behind it.
    void conn?.close().catch(() => {});
  }
}

/** The SQLSTATE of a database error, looking through drizzle's wrapping. */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/**
 * Whether the database refused the content (data exception, constraint, bad input), as opposed
 * to being unreachable or overloaded: only then can appending the rows one by one help, and
 * retrying each against a database that is down would only multiply the wait.
 */
function isRowLevelFailure(err: unknown): boolean {
  const state = sqlState(err);
  if (!state) return false;
  return ["22", "23", "42", "54"].includes(state.slice(0, 2));
}

function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return e.cause?.message ?? e.message ?? String(err);
}

// The chain walk lives with the checkpoint checks; re-exported for the benchmark and tools.
export { verifyChain, type ChainReport } from "./audit-verify.ts";
