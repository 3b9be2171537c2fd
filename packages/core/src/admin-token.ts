import { createHash, timingSafeEqual } from "node:crypto";

/** A configured bootstrap admin token, known only by its SHA-256 (hex). */
export interface AdminTokenDigest { sha256: string }

export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/**
 * The admin token from configuration: the digest wins over the plaintext, so a deployment can
 * keep the plaintext out of its environment; the plaintext is hashed at once and not kept.
 */
export function adminTokenFromEnv(plain: string | undefined, sha256: string | undefined): AdminTokenDigest | undefined {
  if (sha256) return { sha256 };
  return plain ? { sha256: hashToken(plain) } : undefined;
}

/** Whether `token` is the configured admin token; compares SHA-256 digests in constant time. */
export function isAdminToken(configured: AdminTokenDigest, token: string): boolean {
  const digest = createHash("sha256").update(token, "utf8").digest();
  const expected = Buffer.from(configured.sha256, "hex");
  return expected.length === digest.length && timingSafeEqual(digest, expected);
}
