import { createHash } from "node:crypto";
import { AwsCrc32 } from "@aws-crypto/crc32";
import { AwsCrc32c } from "@aws-crypto/crc32c";
import { s3Error } from "./errors.ts";

/** The flexible checksums this gateway computes (CRC64NVME is refused by name where asked for). */
export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface RunningChecksum {
  update(data: Uint8Array): void;
  digest(): Promise<Buffer>;
}

/** A fresh running checksum: CRCs from @aws-crypto (the AWS SDK's own), SHA from node:crypto. */
export function newChecksum(algorithm: ChecksumAlgorithm): RunningChecksum {
  if (algorithm === "CRC32" || algorithm === "CRC32C") {
    const crc = algorithm === "CRC32" ? new AwsCrc32() : new AwsCrc32c();
    return { update: (d) => crc.update(d), digest: async () => Buffer.from(await crc.digest()) };
  }
  const hash = createHash(algorithm === "SHA1" ? "sha1" : "sha256");
  return { update: (d) => void hash.update(d), digest: async () => hash.digest() };
}

/** `x-amz-checksum-crc32` for CRC32, and so on. */
export const checksumHeader = (algorithm: ChecksumAlgorithm): string => `x-amz-checksum-${algorithm.toLowerCase()}`;

/** An algorithm named by a client (x-amz-checksum-algorithm, x-amz-sdk-checksum-algorithm), in any case. */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm {
  const upper = value.trim().toUpperCase();
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(upper)) return upper as ChecksumAlgorithm;
  if (upper === "CRC64NVME") throw s3Error("NotImplemented", "The CRC64NVME checksum is not supported; use CRC32, CRC32C, SHA1 or SHA256.");
  throw s3Error("InvalidRequest", `Checksum algorithm ${value.slice(0, 32)} is not one of CRC32, CRC32C, SHA1, SHA256.`);
}

/** The digest length of each algorithm, to check a base64 value a client sends is one. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32 };

/** A client's base64 checksum value, refused (InvalidRequest, as S3) unless it is one of the algorithm's digests. */
export function parseChecksumValue(algorithm: ChecksumAlgorithm, value: string): Buffer {
  const bytes = Buffer.from(value, "base64");
  if (bytes.length !== DIGEST_BYTES[algorithm] || bytes.toString("base64") !== value.trim()) {
    throw s3Error("InvalidRequest", `Value for ${checksumHeader(algorithm)} header is invalid.`);
  }
  return bytes;
}

/**
 * S3's COMPOSITE checksum of a multipart object: the algorithm over the parts' binary
 * checksums concatenated in part order, base64, with `-<number of parts>`.
 */
export async function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksumsBase64: readonly string[]): Promise<string> {
  const sum = newChecksum(algorithm);
  for (const p of partChecksumsBase64) sum.update(Buffer.from(p, "base64"));
  return `${(await sum.digest()).toString("base64")}-${partChecksumsBase64.length}`;
}
