import { s3Error, type AppError } from "@s3gw/core";

/** Seconds to suggest before retrying a store that is full or unwritable: an operator must act. */
const RETRY_AFTER_SECONDS = "30";

// What each local-filesystem failure tells the client and the operator.
const CAUSES: Record<string, string> = {
  ENOSPC: "storage is full: the region's object store has no space left",
  EDQUOT: "storage is full: the region's object store is over its quota",
  EFBIG: "storage is full: the object is larger than the object store accepts",
  EROFS: "storage is read-only: the region's object store cannot be written",
  EACCES: "storage is not writable: the gateway may not write to the region's object store",
  EPERM: "storage is not writable: the gateway may not write to the region's object store",
  EIO: "storage I/O error: the region's object store failed to read or write",
};

/** The errno of an error (or of its cause). */
function errnoOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === "object" && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && e.code in CAUSES) return e.code;
  }
  return undefined;
}

/**
 * A 503 naming the cause when the object store itself failed (full, read-only, not writable,
 * I/O error), or undefined for any other error. The request was fine; the store is not.
 */
export function storageUnavailable(err: unknown): AppError | undefined {
  const code = errnoOf(err);
  if (!code) return undefined;
  return s3Error("ServiceUnavailable", `${CAUSES[code]} (${code})`, { cause: err, headers: { "retry-after": RETRY_AFTER_SECONDS } });
}
