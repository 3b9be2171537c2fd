import { inArray } from "drizzle-orm";
import { objectMetadata } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import { subjectObjects } from "./gdpr-subject.ts";
import { assertOpen, completeDsr, lockDsr } from "./gdpr-tracking.ts";
import { protectionOf } from "../objects/object-lock.ts";

export interface ErasureResult {
  erased: { bucket: string; key: string; sha256: string; size: number }[];
  kept: { bucket: string; key: string; reason: string }[];
}

/**
 * Art. 17: deletes the subject's objects, except those a legal hold or retention protects
 * (Art. 17(3)(e): establishment, exercise or defence of legal claims), which are kept and
 * listed with the reason. The metadata rows go in the transaction that records the outcome,
 * so the request says exactly what was erased; the bytes go right after the commit (a failure
 * there leaves unreferenced bytes that the stray sweeper removes, never metadata without bytes).
 */
export async function executeErasure(deps: Deps, id: string, scope: string | undefined, by: string) {
  const now = deps.clock.now();
  const blobs: { providerId: string; storageKey: string; customerId: string }[] = [];
  const out: ErasureResult = { erased: [], kept: [] };
  const row = await deps.db.transaction(async (tx) => {
    const req = await lockDsr(tx, id, scope);
    assertOpen(req);
    const objects = await tx
      .select()
      .from(objectMetadata)
      .where(subjectObjects({ customerId: req.customerId, dataSubjectId: req.dataSubjectId }))
      .orderBy(objectMetadata.bucketName, objectMetadata.objectKey)
      .for("update");
    const doomed: string[] = [];
    for (const o of objects) {
      const reason = protectionOf(o, now);
      if (reason) {
        out.kept.push({ bucket: o.bucketName, key: o.objectKey, reason });
      } else {
        out.erased.push({ bucket: o.bucketName, key: o.objectKey, sha256: o.sha256, size: o.sizeBytes });
        doomed.push(o.objectId);
        blobs.push({ providerId: o.storageProviderId, storageKey: o.storageKey, customerId: o.customerId });
      }
    }
    for (let i = 0; i < doomed.length; i += 1000) await tx.delete(objectMetadata).where(inArray(objectMetadata.objectId, doomed.slice(i, i + 1000)));
    return completeDsr(
      tx,
      req,
      {
        affected: [
          ...out.erased.map((o) => ({ bucket: o.bucket, key: o.key, action: "erased" })),
          ...out.kept.map((o) => ({ bucket: o.bucket, key: o.key, action: "kept", reason: o.reason })),
        ],
        result: {
          outcome: out.kept.length ? "partial" : "complete",
          note: out.kept.length
            ? `${out.kept.length} object(s) kept under legal hold or retention (Art. 17(3)(e)); erase them once the protection ends`
            : "every object linked to the data subject was erased",
          erased: out.erased,
          kept: out.kept,
          bytes_erased: out.erased.reduce((n, o) => n + o.size, 0),
          operations_log: "retained: the hash-chained operations log is append-only; its entries about erased objects are not altered",
        },
      },
      by,
      now,
    );
  });
  let failed = 0;
  for (const b of blobs) {
    // Each object's bytes are removed from the target it was recorded on.
    await (await deps.targets.recorded(b.customerId, b.providerId)).delete(b.storageKey).catch((err: Error) => {
      failed++;
      deps.logger.warn({ err: err.message, requestId: id }, "erasure: bytes not removed; the stray sweeper will remove them");
    });
  }
  return { row, info: { request_id: id, request_type: "erasure", erased: out.erased.length, kept: out.kept.length, byte_deletes_failed: failed } };
}
