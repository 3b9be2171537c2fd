import type { MasterKeyRing } from "../secret-box.ts";
import type { SseCustomerKey } from "./sse-customer-key.ts";
import { sseError } from "./sse-errors.ts";

/** The keyed-digest purpose of SSE-C keys: their HMACs never verify as any other digest the ring makes. */
export const SSE_C_DIGEST_PURPOSE = "sse-c";

/** What is stored of a customer-provided key: `<master key id>.<hex HMAC-SHA256>`, never the key (nor its MD5). */
export function customerKeyDigest(ring: MasterKeyRing, key: SseCustomerKey): string {
  return ring.keyedDigest(SSE_C_DIGEST_PURPOSE, key.key);
}

/** The part of a stored encryption document the check needs (structural: core cannot import the schema). */
export interface StoredCustomerKey {
  mode: "AES256" | "aws:kms" | "SSE-C";
  customerKeyHmac?: string | undefined;
}

/**
 * Whether a request's SSE-C key suits what it reads, answered as S3 answers:
 * - `read` (GET, HEAD, a copy source): an SSE-C object without a key is 400 InvalidRequest, with
 *   another key 403 AccessDenied; a key for an object that is not SSE-C is 400 InvalidRequest;
 * - `part` (UploadPart, UploadPartCopy's destination, against its upload): a missing or surplus
 *   key, and another key, are each 400 InvalidRequest.
 * A stored SSE-C document without its HMAC is damage and throws a plain Error (a 500), never a pass.
 */
export function assertCustomerKey(ring: MasterKeyRing, stored: StoredCustomerKey, given: SseCustomerKey | undefined, use: "read" | "part"): void {
  if (stored.mode !== "SSE-C") {
    if (given) throw use === "read" ? sseError.customerNotApplicable() : sseError.partEncryptionMissing();
    return;
  }
  if (!given) throw use === "read" ? sseError.customerKeyRequired() : sseError.partEncryptionMissing();
  if (!stored.customerKeyHmac) throw new Error("an SSE-C encryption document without its key HMAC");
  if (!ring.verifyKeyedDigest(SSE_C_DIGEST_PURPOSE, given.key, stored.customerKeyHmac)) {
    throw use === "read" ? sseError.customerWrongKey() : sseError.partEncryptionMismatch();
  }
}
