import { chainHash, GENESIS_HASH } from "@s3gw/core";
import { operationsLog } from "@s3gw/schema-regional";
import { asc, desc, gt, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { RegionalDb } from "../env.ts";

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

/** What the chain hash covers: every column but the id and the hashes themselves. */
export function hashedContent(row: OperationRow): Record<string, unknown> {
  return { ...row, createdAt: row.createdAt.toISOString() };
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
          this.logger.error({ err: (err as Error).message, rows: batch.length }, "audit batch failed");
          for (const p of batch) p.reject(err);
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
      const values = rows.map((row) => {
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

export type ChainReport =
  | { intact: true; rows: number; last_hash: string }
  | { intact: false; rows_checked: number; first_broken: { id: number; reason: string } };

/** Walks the whole chain in id order and reports the first row whose link or content does not hold. */
export async function verifyChain(db: RegionalDb, pageSize = 2000): Promise<ChainReport> {
  let prev = GENESIS_HASH;
  let afterId = 0;
  let checked = 0;
  for (;;) {
    const page = await db.select().from(operationsLog).where(gt(operationsLog.id, afterId)).orderBy(asc(operationsLog.id)).limit(pageSize);
    if (page.length === 0) return { intact: true, rows: checked, last_hash: prev };
    for (const r of page) {
      if (r.prevHash !== prev) return { intact: false, rows_checked: checked, first_broken: { id: r.id, reason: "prev_hash does not match the previous row (a row was removed, inserted or reordered)" } };
      const { id: _id, prevHash: _p, rowHash, ...content } = r;
      const expected = chainHash(prev, hashedContent(content as OperationRow));
      if (expected !== rowHash) return { intact: false, rows_checked: checked, first_broken: { id: r.id, reason: "row content does not match its hash (the row was modified)" } };
      prev = rowHash;
      checked++;
      afterId = r.id;
    }
  }
}
