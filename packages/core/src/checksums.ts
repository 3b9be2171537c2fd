import { createHash } from "node:crypto";
import { AwsCrc32 } from "@aws-crypto/crc32";
import { AwsCrc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { s3Error } from "./errors.ts";

/** The flexible checksums S3 defines, all computed here. */
export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface RunningChecksum {
  update(data: Uint8Array): void;
  digest(): Promise<Buffer>;
}

/** A fresh running checksum: CRCs from the AWS SDK's own (@aws-crypto, @aws-sdk/crc64-nvme, pure JS), SHA from node:crypto. */
export function newChecksum(algorithm: ChecksumAlgorithm): RunningChecksum {
  if (algorithm === "CRC32" || algorithm === "CRC32C" || algorithm === "CRC64NVME") {
    const crc = algorithm === "CRC32" ? new AwsCrc32() : algorithm === "CRC32C" ? new AwsCrc32c() : new Crc64Nvme();
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
  throw s3Error("InvalidRequest", `Checksum algorithm ${value.slice(0, 32)} is not one of ${CHECKSUM_ALGORITHMS.join(", ")}.`);
}

/** The digest length of each algorithm, to check a base64 value a client sends is one. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

/** A client's base64 checksum value; one that cannot be the algorithm's digest does not match the body (BadDigest, as the conformance suite expects). */
export function parseChecksumValue(algorithm: ChecksumAlgorithm, value: string): Buffer {
  const bytes = Buffer.from(value, "base64");
  if (bytes.length !== DIGEST_BYTES[algorithm] || bytes.toString("base64") !== value.trim()) {
    throw s3Error("BadDigest", `The ${algorithm} you specified did not match the calculated checksum.`);
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

/** The CRCs that can be combined (AWS's FULL_OBJECT checksum of a multipart upload): reflected polynomial and width in bits. */
const CRCS = { CRC32: { poly: 0xedb88320n, width: 32 }, CRC32C: { poly: 0x82f63b78n, width: 32 }, CRC64NVME: { poly: 0x9a6c9329ac4bc9b5n, width: 64 } } as const;
export type CombinableCrc = keyof typeof CRCS;
export const isCombinableCrc = (a: ChecksumAlgorithm): a is CombinableCrc => Object.hasOwn(CRCS, a);

/** a·b mod P over GF(2), in the reflected bit order the CRCs use (zlib's multmodp); `top` is x^0. */
function multModP(a: bigint, b: bigint, poly: bigint, top: bigint): bigint {
  if (a === 0n) return 0n;
  let m = top;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) return p;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ poly : b >> 1n;
  }
}

/** x^(8·bytes) mod P: what appending `bytes` zero bytes does to a CRC register. */
function shiftBytes(bytes: number, poly: bigint, top: bigint): bigint {
  let p = top; // x^0
  let square = top >> 1n; // x^1
  for (let i = 0; i < 3; i++) square = multModP(square, square, poly, top); // x^8: one byte
  for (let n = bytes; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) p = multModP(square, p, poly, top);
    square = multModP(square, square, poly, top);
  }
  return p;
}

/**
 * The CRC of parts concatenated, from each part's CRC and length (zlib's crc32_combine, for
 * any reflected CRC with all-ones init and final xor): how S3's FULL_OBJECT checksum of a
 * multipart upload is made without reading its bytes again. Base64 of the big-endian value.
 */
export function combineCrcs(algorithm: CombinableCrc, parts: readonly { crcBase64: string; length: number }[]): string {
  const { poly, width } = CRCS[algorithm];
  const top = 1n << BigInt(width - 1);
  let crc: bigint | undefined;
  for (const part of parts) {
    const next = BigInt(`0x${Buffer.from(part.crcBase64, "base64").toString("hex") || "0"}`);
    crc = crc === undefined ? next : multModP(shiftBytes(part.length, poly, top), crc, poly, top) ^ next;
  }
  return Buffer.from((crc ?? 0n).toString(16).padStart(width / 4, "0"), "hex").toString("base64");
}
