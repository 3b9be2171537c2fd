import { chainHash, GENESIS_HASH } from "@s3gw/core";
import { auditCheckpoints, operationsLog } from "@s3gw/schema-regional";
import { asc, gt } from "drizzle-orm";
import type { Deps, RegionalDb } from "../../env.ts";
import type { OperationRow } from "./audit.ts";
import { hashedContent } from "./audit-content.ts";
import { type CheckpointPayload, wormCheckpoints } from "./audit-checkpoints.ts";

interface Walk {
  rows: number;
  lastId: number;
  lastHash: string;
  firstBroken: { id: number; reason: string } | undefined;
  /** For each wanted id that exists: its stored row_hash and how many rows have id <= it. */
  at: Map<number, { hash: string; count: number }>;
}

/** Walks the whole chain in id order, noting the first row whose link or content does not hold. */
async function walkChain(db: RegionalDb, wanted: Set<number>, pageSize = 2000): Promise<Walk> {
  const walk: Walk = { rows: 0, lastId: 0, lastHash: GENESIS_HASH, firstBroken: undefined, at: new Map() };
  let prev = GENESIS_HASH;
  for (;;) {
    const page = await db.select().from(operationsLog).where(gt(operationsLog.id, walk.lastId)).orderBy(asc(operationsLog.id)).limit(pageSize);
    if (page.length === 0) return walk;
    for (const r of page) {
      if (!walk.firstBroken) {
        if (r.prevHash !== prev) walk.firstBroken = { id: r.id, reason: "prev_hash does not match the previous row (a row was removed, inserted or reordered)" };
        else if (chainHash(prev, hashedContent(r as unknown as OperationRow)) !== r.rowHash) walk.firstBroken = { id: r.id, reason: "row content does not match its hash (the row was modified)" };
      }
      prev = r.rowHash;
      walk.rows++;
      walk.lastId = r.id;
      walk.lastHash = r.rowHash;
      if (wanted.has(r.id)) walk.at.set(r.id, { hash: r.rowHash, count: walk.rows });
    }
  }
}

export type ChainReport =
  | { intact: true; rows: number; last_hash: string }
  | { intact: false; rows_checked: number; first_broken: { id: number; reason: string } };

/** The hash chain alone (no checkpoints). */
export async function verifyChain(db: RegionalDb, pageSize = 2000): Promise<ChainReport> {
  const w = await walkChain(db, new Set(), pageSize);
  if (w.firstBroken) return { intact: false, rows_checked: w.rows, first_broken: w.firstBroken };
  return { intact: true, rows: w.rows, last_hash: w.lastHash };
}

interface CheckedCheckpoint {
  id: number | null;
  source: "database" | "worm" | "database+worm";
  last_id: number;
  last_hash: string;
  row_count: number;
  created_at: string;
  signature_valid: boolean;
  /** Why the log does not match this checkpoint; absent when it does. */
  problem?: "truncated" | "hash_mismatch" | "rows_added_below_checkpoint" | "bad_signature";
  detail?: string;
}

function judge(c: CheckedCheckpoint, walk: Walk): CheckedCheckpoint {
  if (!c.signature_valid) return { ...c, problem: "bad_signature", detail: "the signature does not verify with this region's audit key" };
  const seen = c.last_id === 0 ? { hash: GENESIS_HASH, count: 0 } : walk.at.get(c.last_id);
  if (!seen) return { ...c, problem: "truncated", detail: `row ${c.last_id} was checkpointed but is missing (the log ends at id ${walk.lastId})` };
  if (seen.count < c.row_count) return { ...c, problem: "truncated", detail: `${c.row_count} rows were checkpointed up to id ${c.last_id}, ${seen.count} remain` };
  if (seen.hash !== c.last_hash) return { ...c, problem: "hash_mismatch", detail: `row ${c.last_id} no longer has the checkpointed hash (the chain was rewritten)` };
  if (seen.count > c.row_count) return { ...c, problem: "rows_added_below_checkpoint", detail: `${seen.count} rows up to id ${c.last_id}, ${c.row_count} were checkpointed` };
  return c;
}

/**
 * The chain plus every checkpoint, from the database and from the WORM copies (so deleting
 * checkpoint rows hides nothing). Each checkpoint's signature is checked with the configured
 * key, and the log must still hold exactly what it signed: the row at last_id with last_hash,
 * and row_count rows up to it. The latest valid checkpoint decides `truncated`.
 */
export async function verifyAuditLog(deps: Deps) {
  const signer = deps.config.auditSigner;
  const byPayload = new Map<string, { id: number | null; signature: string; source: CheckedCheckpoint["source"] }>();
  for (const r of await deps.db.select().from(auditCheckpoints)) byPayload.set(r.payload, { id: r.id, signature: r.signature, source: "database" });
  const worm = signer ? await wormCheckpoints(deps) : [];
  for (const w of worm) {
    const known = byPayload.get(w.payload);
    if (known && known.signature === w.signature) known.source = "database+worm";
    else if (!known || !signer!.verify(w.payload, known.signature)) byPayload.set(w.payload, { id: known?.id ?? null, signature: w.signature, source: "worm" });
  }
  const checked: CheckedCheckpoint[] = [];
  for (const [payloadText, c] of byPayload) {
    let p: CheckpointPayload;
    try {
      p = JSON.parse(payloadText) as CheckpointPayload;
    } catch {
      continue;
    }
    if (p.region !== deps.config.region.region_id) continue;
    checked.push({ id: c.id, source: c.source, last_id: Number(p.last_id), last_hash: String(p.last_hash), row_count: Number(p.row_count), created_at: String(p.created_at), signature_valid: signer?.verify(payloadText, c.signature) ?? false });
  }
  const walk = await walkChain(deps.db, new Set(checked.map((c) => c.last_id)));
  const judged = checked.map((c) => judge(c, walk)).sort((a, b) => a.last_id - b.last_id || a.created_at.localeCompare(b.created_at));
  const valid = judged.filter((c) => c.signature_valid);
  const latest = valid.at(-1);
  const problems = judged.filter((c) => c.problem);
  const truncated = problems.some((c) => c.problem === "truncated" && c.signature_valid);
  return {
    intact: !walk.firstBroken && problems.length === 0,
    rows: walk.rows,
    last_id: walk.lastId,
    last_hash: walk.lastHash,
    ...(walk.firstBroken ? { first_broken: walk.firstBroken } : {}),
    truncated,
    checkpoint: latest ?? null,
    checkpoints_checked: judged.length,
    checkpoint_problems: problems,
    worm_copies: worm.length,
    rows_after_checkpoint: latest ? walk.rows - (walk.at.get(latest.last_id)?.count ?? 0) : walk.rows,
    signing_key: signer ? { fingerprint: signer.fingerprint } : null,
  };
}
