import { createHash, timingSafeEqual } from "node:crypto";
import { sseError } from "./sse-errors.ts";

/** A header (or POST form field) by lower-case name; undefined when absent. */
export type HeaderGetter = (name: string) => string | undefined;

/** A customer-provided key (SSE-C) as a request gave it: the 32 key bytes and the MD5 it sent (echoed in responses). */
export interface SseCustomerKey {
  mode: "SSE-C";
  key: Buffer;
  keyMd5: string;
}

export const SSE_C_PREFIX = "x-amz-server-side-encryption-customer-";
export const COPY_SOURCE_SSE_C_PREFIX = "x-amz-copy-source-server-side-encryption-customer-";
const KEY_BYTES = 32;

/** Canonical base64 only: Node's decoder skips stray characters, so a typo must not silently become another key. */
function strictBase64(value: string): Buffer | undefined {
  const bytes = Buffer.from(value, "base64");
  return bytes.length > 0 && bytes.toString("base64") === value ? bytes : undefined;
}

/** True when any of the trio under `prefix` is present (an empty value counts: it was sent). */
export function hasCustomerKeyHeaders(get: HeaderGetter, prefix: string): boolean {
  return ["algorithm", "key", "key-md5"].some((h) => get(prefix + h) !== undefined);
}

/**
 * The SSE-C trio under `prefix` (the object's own or the copy source's), checked in the order
 * AWS was recorded checking it: the algorithm, the key's presence, its MD5 (before the key's
 * length, as a 24-byte key with a matching MD5 is still "invalid for the algorithm"), the length.
 * The MD5 is required: ceph s3-tests expects a request without it refused.
 */
export function parseCustomerKey(get: HeaderGetter, prefix: string): SseCustomerKey | undefined {
  const algorithm = get(`${prefix}algorithm`);
  const key = get(`${prefix}key`);
  const keyMd5 = get(`${prefix}key-md5`);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (algorithm === undefined) throw sseError.customerNoAlgorithm();
  if (algorithm !== "AES256") throw sseError.customerBadAlgorithm();
  if (key === undefined || key === "") throw sseError.customerNoKey();
  if (keyMd5 === undefined || keyMd5 === "") throw sseError.customerNoKeyMd5();
  const bytes = strictBase64(key);
  if (!bytes) throw sseError.customerInvalidKey();
  const computed = createHash("md5").update(bytes).digest();
  const given = strictBase64(keyMd5);
  if (!given || given.length !== computed.length || !timingSafeEqual(given, computed)) throw sseError.customerKeyMd5Mismatch();
  if (bytes.length !== KEY_BYTES) throw sseError.customerInvalidKey();
  return { mode: "SSE-C", key: bytes, keyMd5 };
}
