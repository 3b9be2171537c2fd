import { chainHash, GENESIS_HASH } from "@s3gw/core";
import { operationsLog } from "@s3gw/schema-regional";
import { desc, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { RegionalDb } from "../../env.ts";
import { hashedContent, storableRow } from "./audit-content.ts";

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
}

export function resultOf(status: number): OperationRow["result"] {
  if (status === 401 || status === 403) return "denied";
  return status < 400 ? "success" : "error";
}

// One chain per region: every writer (every gateway instance) appends under this lock.
const CHAIN_LOCK = 0x5367_7741; // "SgwA"

interface Pending { row: OperationRow; resolve: () => void; reject: (err: unknown) => void }

/**
 * The operations log, written in batches: each `record` resolves only once its row is
 * committed, so a request is never acknowledged with an audit row that a crash could lose,
 * while concurrent requests share one transaction (and one fsync) instead of one each.
 */
export class AuditLog {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly db: RegionalDb;
  private readonly logger: Logger;
  private readonly maxBatch: number;

  constructor(db: RegionalDb, logger: Logger, maxBatch = 500) {
    this.db = db;
    this.logger = logger;
    this.maxBatch = maxBatch;
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
  }

  private async drain(): Promise<void> {
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
          // One row the database refuses must not fail the others sharing its transaction:
          // the batch rolled back whole (the chain head is unchanged), so each row is appended
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
    }
  }

  private async append(rows: OperationRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
      const [last] = await tx.select({ h: operationsLog.rowHash }).from(operationsLog).orderBy(desc(operationsLog.id)).limit(1);
      let prev = last?.h ?? GENESIS_HASH;
      const values = rows.map((raw) => {
        // Hashed exactly as it will be stored and read back (see audit-content.ts).
        const row = storableRow(raw);
        const rowHash = chainHash(prev, hashedContent(row));
        const v = { ...row, prevHash: prev, rowHash };
        prev = rowHash;
        return v;
      });
      // One multi-row INSERT: Postgres draws the serial ids in VALUES order, so ids follow the chain.
      await tx.insert(operationsLog).values(values);
    });
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
