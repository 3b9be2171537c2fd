import type { Deps } from "../../env.ts";
import { eraseSubjectVersions, type ErasedVersion, type KeptVersion } from "./gdpr-erasure-versions.ts";
import { assertOpen, completeDsr, keepDsrOpen, lockDsr } from "./gdpr-tracking.ts";

export interface ErasureResult { erased: ErasedVersion[]; kept: KeptVersion[] }

/**
 * Art. 17: deletes every version and delete marker of the subject's objects, except versions a
 * legal hold or retention protects (Art. 17(3)(e): establishment, exercise or defence of legal
 * claims), which are kept and listed with the reason. While any are kept the request stays open
 * (in_progress, outcome "partial") and is run again until nothing is left (see
 * gdpr-erasure-rerun.ts); what earlier runs erased stays in the record. The metadata rows go
 * in the transaction that records the outcome, so the request says exactly what was erased; the
 * bytes go right after the commit (a failure there leaves unreferenced bytes that the stray
 * sweeper removes, never metadata without bytes).
 */
export async function executeErasure(deps: Deps, id: string, scope: string | undefined, by: string) {
  const now = deps.clock.now();
  let blobs: { providerId: string; storageKey: string; customerId: string }[] = [];
  let run = { erased: 0, kept: 0, markers: 0 };
  const row = await deps.db.transaction(async (tx) => {
    const req = await lockDsr(tx, id, scope);
    assertOpen(req);
    const done = await eraseSubjectVersions(tx, { customerId: req.customerId, dataSubjectId: req.dataSubjectId }, now);
    blobs = done.blobs;
    run = { erased: done.erased.length, kept: done.kept.length, markers: done.markersRemoved };
    const before = (req.result?.outcome === "partial" ? req.result : {}) as { erased?: ErasedVersion[]; delete_markers_removed?: number; runs?: number };
    const erased = [...(before.erased ?? []), ...done.erased];
    const partial = done.kept.length > 0;
    const affected = [
      ...erased.map((o) => ({ bucket: o.bucket, key: o.key, version_id: o.version_id, action: "erased" })),
      ...done.kept.map((o) => ({ bucket: o.bucket, key: o.key, version_id: o.version_id, action: "kept", reason: o.reason })),
    ];
    const result = {
      outcome: partial ? "partial" : "complete",
      note: partial
        ? `${done.kept.length} object version(s) kept under legal hold or retention (Art. 17(3)(e)); the request stays open and is run again until they are erased`
        : "every version and delete marker of the objects linked to the data subject was erased",
      erased,
      kept: done.kept,
      bytes_erased: erased.reduce((n, o) => n + o.size, 0),
      delete_markers_removed: (before.delete_markers_removed ?? 0) + done.markersRemoved,
      runs: (before.runs ?? 0) + 1,
      last_run_at: now.toISOString(),
      operations_log: "retained: the hash-chained operations log is append-only; its entries about erased objects are not altered",
    };
    return partial ? keepDsrOpen(tx, req, { affected, result }, by, now) : completeDsr(tx, req, { affected, result }, by, now);
  });
  let failed = 0;
  for (const b of blobs) {
    // Each version's bytes are removed from the target it was recorded on.
    await (await deps.targets.recorded(b.customerId, b.providerId)).delete(b.storageKey).catch((err: Error) => {
      failed++;
      deps.logger.warn({ err: err.message, requestId: id }, "erasure: bytes not removed; the stray sweeper will remove them");
    });
  }
  return {
    row,
    info: { request_id: id, request_type: "erasure", erased: run.erased, kept: run.kept, delete_markers_removed: run.markers, byte_deletes_failed: failed, status: row.status },
  };
}
