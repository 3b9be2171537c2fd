import { Readable } from "node:stream";
import { apiError, canonicalJson, GENESIS_HASH } from "@s3gw/core";
import { auditCheckpoints } from "@s3gw/schema-regional";
import { desc, eq, lt, sql } from "drizzle-orm";
import type { Deps, RegionalDb } from "../../env.ts";
import type { AuditSigner } from "./audit-signing.ts";
import { startPeriodic } from "../ops/periodic.ts";
import { insertComplianceEvent } from "../events/outbox.ts";
import type { WorkerLease } from "../events/dispatch/lease.ts";

/**
 * Where WORM copies of checkpoints live in the region's own storage. Providers accept only
 * `tenant-<name>/` prefixes; customer ids are at most 63 characters (CUSTOMER_ID_RE), so this
 * longer name can never be a customer's, and no tenant's storage can reach it.
 */
export const AUDIT_WORM_PREFIX = "tenant-s3gw-internal-audit-checkpoints-reserved-never-a-customer-id/";

export type CheckpointRow = typeof auditCheckpoints.$inferSelect;

/** The fields a checkpoint signs. */
export interface CheckpointPayload {
  region: string;
  last_id: number;
  last_hash: string;
  row_count: number;
  created_at: string;
}

/** The exact bytes signed: canonical JSON (keys sorted, no spaces) of the payload, UTF-8, no newline. */
export const checkpointPayloadText = (p: CheckpointPayload): string => canonicalJson(p);

/** The operations log's head as one statement sees it (writers commit in id order under the chain lock). */
async function chainHead(db: RegionalDb): Promise<{ lastId: number; lastHash: string; rowCount: number }> {
  const res = await db.execute<{ id: string | number; row_hash: string; n: string | number }>(sql`
    select h.id, h.row_hash, (select count(*) from operations_log o where o.id <= h.id) as n
    from (select id, row_hash from operations_log order by id desc limit 1) h`);
  const rows = (Array.isArray(res) ? res : (res as { rows: unknown[] }).rows) as { id: string | number; row_hash: string; n: string | number }[];
  const head = rows[0];
  return head ? { lastId: Number(head.id), lastHash: head.row_hash, rowCount: Number(head.n) } : { lastId: 0, lastHash: GENESIS_HASH, rowCount: 0 };
}

export async function latestCheckpoint(db: RegionalDb): Promise<CheckpointRow | undefined> {
  const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.lastId), desc(auditCheckpoints.id)).limit(1);
  return row;
}

/**
 * Signs the chain head and keeps the checkpoint twice: once in its own storage under the
 * reserved prefix, with COMPLIANCE-style retention (the hosted providers have no object lock
 * the gateway can set, so the gateway enforces it: nothing deletes under that prefix, and the
 * sweeper skips it), then as a row. The WORM copy is written first: a checkpoint that has a row
 * always has its copy. `ifMoved`: skip when the head has not changed since the latest one.
 */
export async function createCheckpoint(
  deps: Deps,
  opts: { trigger: "periodic" | "on_demand"; principal?: string | null; ifMoved?: boolean },
): Promise<CheckpointRow | undefined> {
  const { config, db, clock, storage } = deps;
  const signer = config.auditSigner;
  if (!signer) throw apiError.unavailable("no audit signing key configured (AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE): checkpoints are disabled");
  const head = await chainHead(db);
  if (opts.ifMoved) {
    const latest = await latestCheckpoint(db);
    if (latest && latest.lastId === head.lastId && latest.lastHash === head.lastHash) return undefined;
  }
  const now = clock.now();
  const payload: CheckpointPayload = {
    region: config.region.region_id,
    last_id: head.lastId,
    last_hash: head.lastHash,
    row_count: head.rowCount,
    created_at: now.toISOString(),
  };
  const payloadText = checkpointPayloadText(payload);
  const signature = signer.sign(payloadText);
  const retainUntil = new Date(now.getTime() + config.auditCheckpointRetentionDays * 86_400_000);
  const body = Buffer.from(`${JSON.stringify(wormDocument(payloadText, signature, signer, retainUntil))}\n`, "utf8");
  const blob = await storage.put(AUDIT_WORM_PREFIX, Readable.from([body]), { expectedSize: body.length });
  // The checkpoint and its `audit.checkpoint` event commit together.
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(auditCheckpoints)
      .values({
        region: payload.region,
        lastId: payload.last_id,
        lastHash: payload.last_hash,
        rowCount: payload.row_count,
        payload: payloadText,
        signature,
        keyFingerprint: signer.fingerprint,
        wormStorageKey: blob.storageKey,
        retentionMode: "COMPLIANCE",
        retainUntil,
        providerLocked: false,
        trigger: opts.trigger,
        principal: opts.principal ?? null,
        createdAt: now,
      })
      .returning();
    await insertComplianceEvent(tx, {
      customerId: null,
      kind: "audit.checkpoint",
      now,
      payload: {
        severity: "low",
        description: `Audit checkpoint signed over ${payload.row_count} operations_log rows`,
        data: { checkpoint_id: inserted!.id, last_id: payload.last_id, last_hash: payload.last_hash, row_count: payload.row_count, key_fingerprint: signer.fingerprint, signature, trigger: opts.trigger },
      },
    });
    return inserted;
  });
  deps.logger.info({ checkpoint: row!.id, last_id: payload.last_id, row_count: payload.row_count, trigger: opts.trigger }, "audit checkpoint signed");
  return row;
}

/** The WORM copy: self-contained, verifiable with the public key alone. */
function wormDocument(payload: string, signature: string, signer: AuditSigner, retainUntil: Date) {
  return {
    type: "s3gw-audit-checkpoint",
    payload,
    signature,
    key_fingerprint: signer.fingerprint,
    retention: { mode: "COMPLIANCE", retain_until: retainUntil.toISOString() },
  };
}

/** Every WORM copy in storage whose payload parses; signatures are judged by the caller. */
export async function wormCheckpoints(deps: Deps): Promise<{ storageKey: string; payload: string; signature: string }[]> {
  const out: { storageKey: string; payload: string; signature: string }[] = [];
  for await (const blob of deps.storage.list(AUDIT_WORM_PREFIX)) {
    try {
      const stream = await deps.storage.get(blob.storageKey);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const doc = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { payload?: unknown; signature?: unknown };
      if (typeof doc.payload === "string" && typeof doc.signature === "string") out.push({ storageKey: blob.storageKey, payload: doc.payload, signature: doc.signature });
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, storageKey: blob.storageKey }, "unreadable audit checkpoint copy");
    }
  }
  return out;
}

export async function listCheckpoints(db: RegionalDb, q: { limit: number; beforeId: number | undefined }) {
  const rows = await db
    .select()
    .from(auditCheckpoints)
    .where(q.beforeId === undefined ? undefined : lt(auditCheckpoints.id, q.beforeId))
    .orderBy(desc(auditCheckpoints.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return { rows: page, nextBeforeId: rows.length > q.limit ? page.at(-1)!.id : undefined };
}

export async function checkpointById(db: RegionalDb, id: number): Promise<CheckpointRow | undefined> {
  const [row] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.id, id)).limit(1);
  return row;
}

export function checkpointView(r: CheckpointRow) {
  return {
    id: r.id,
    region: r.region,
    last_id: r.lastId,
    last_hash: r.lastHash,
    row_count: r.rowCount,
    created_at: r.createdAt.toISOString(),
    payload: r.payload,
    signature: r.signature,
    key_fingerprint: r.keyFingerprint,
    worm: { storage_key: r.wormStorageKey, retention_mode: r.retentionMode, retain_until: r.retainUntil.toISOString(), provider_locked: r.providerLocked },
    trigger: r.trigger,
    principal: r.principal,
  };
}

/** Signs the head every interval when it moved; the returned function stops it. */
export function startCheckpointWorker(deps: Deps, intervalMs: number, lease?: WorkerLease): () => void {
  if (!deps.config.auditSigner) {
    deps.logger.warn("no AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE configured: the audit log is hash-chained but never checkpointed, so deleting its newest rows goes unnoticed");
    return () => {};
  }
  return startPeriodic("audit checkpoint", async () => void (await createCheckpoint(deps, { trigger: "periodic", ifMoved: true })), intervalMs, deps.logger, { runNow: false, lease });
}
