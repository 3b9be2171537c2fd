import { checksumHeader, combineCrcs, compositeChecksum, isCombinableCrc, parseChecksumAlgorithm, s3Error, type ChecksumAlgorithm } from "@s3gw/core";
import type { PartRow, UploadRow } from "./multipart.ts";

export type UploadChecksumType = "COMPOSITE" | "FULL_OBJECT";

/**
 * The checksum a CreateMultipartUpload asks for: x-amz-checksum-algorithm, and
 * x-amz-checksum-type, COMPOSITE (a checksum of the parts' checksums; the default but for
 * CRC64NVME) or, for the CRCs, FULL_OBJECT (the CRC of the whole, combined from the parts';
 * CRC64NVME's only type, as on S3). Null when none is asked for.
 */
export function requestedUploadChecksum(algorithm: string | undefined, type: string | undefined): { algorithm: ChecksumAlgorithm; type: UploadChecksumType } | null {
  const upperType = type?.toUpperCase();
  if (upperType !== undefined && upperType !== "COMPOSITE" && upperType !== "FULL_OBJECT") throw s3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
  if (algorithm === undefined) {
    if (type !== undefined) throw s3Error("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
    return null;
  }
  const parsed = parseChecksumAlgorithm(algorithm);
  const chosen = (upperType ?? (parsed === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE")) as UploadChecksumType;
  if (chosen === "FULL_OBJECT" && !isCombinableCrc(parsed)) throw s3Error("InvalidRequest", `The FULL_OBJECT checksum type cannot be used with the ${parsed.toLowerCase()} checksum algorithm.`);
  if (chosen === "COMPOSITE" && parsed === "CRC64NVME") throw s3Error("InvalidRequest", "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.");
  return { algorithm: parsed, type: chosen };
}

/** The upload's algorithm, as stored (only values requestedUploadChecksum returned are). */
export const uploadAlgorithm = (upload: Pick<UploadRow, "checksumAlgorithm">): ChecksumAlgorithm | null => upload.checksumAlgorithm as ChecksumAlgorithm | null;

/**
 * Checks the per-part checksums a CompleteMultipartUpload lists (`<ChecksumCRC32>` etc.)
 * against the parts as uploaded: another algorithm than the upload's is InvalidRequest, a
 * different value InvalidPart, as S3 answers.
 */
export function checkListedChecksums(upload: UploadRow, listed: { partNumber: number; checksums: Record<string, string> }[], stored: PartRow[]): void {
  const algorithm = uploadAlgorithm(upload);
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  for (const part of listed) {
    for (const [name, value] of Object.entries(part.checksums)) {
      if (name !== algorithm) throw s3Error("InvalidRequest", `The upload was created using ${algorithm ? `a ${algorithm.toLowerCase()}` : "no"} checksum; part ${part.partNumber} lists a ${name.toLowerCase()} checksum.`);
      const stored = byNumber.get(part.partNumber);
      if (stored && stored.checksum !== value.trim()) throw s3Error("InvalidPart", `The ${name} checksum of part ${part.partNumber} does not match the part uploaded.`, { resource: `part ${part.partNumber}` });
    }
  }
}

/** The object's checksum from its parts (in order): COMPOSITE `<base64>-N`, or the FULL_OBJECT CRC; undefined without one (a copied part has none). */
async function objectChecksumOf(upload: UploadRow, parts: PartRow[]): Promise<string | undefined> {
  const algorithm = uploadAlgorithm(upload);
  if (!algorithm || parts.some((p) => p.checksum === null)) return undefined;
  if (upload.checksumType === "FULL_OBJECT" && isCombinableCrc(algorithm)) {
    return combineCrcs(algorithm, parts.map((p) => ({ crcBase64: p.checksum!, length: p.sizeBytes })));
  }
  return compositeChecksum(algorithm, parts.map((p) => p.checksum!));
}

/**
 * The object's flexible checksum from its parts, as the stored headers GET/HEAD answer with
 * under x-amz-checksum-mode. Nothing when the upload has no algorithm, or a part has no checksum.
 */
export async function compositeChecksumHeaders(upload: UploadRow, parts: PartRow[]): Promise<Record<string, string>> {
  const value = await objectChecksumOf(upload, parts);
  if (value === undefined) return {};
  return { [checksumHeader(uploadAlgorithm(upload)!)]: value, "x-amz-checksum-type": upload.checksumType ?? "COMPOSITE" };
}

/**
 * A Complete's own x-amz-checksum-<algorithm> header: the object checksum the client expects.
 * One that is not what the listed parts make is BadDigest, and nothing is completed.
 */
export async function checkExpectedChecksum(upload: UploadRow, listed: readonly { partNumber: number }[], stored: PartRow[], header: (name: string) => string | undefined): Promise<void> {
  const algorithm = uploadAlgorithm(upload);
  const expected = algorithm ? header(checksumHeader(algorithm)) : undefined;
  if (!algorithm || expected === undefined) return;
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const parts = listed.map((l) => byNumber.get(l.partNumber)).filter((p): p is PartRow => p !== undefined);
  if ((await objectChecksumOf(upload, parts)) !== expected.trim()) throw s3Error("BadDigest", `The ${algorithm} you specified did not match the calculated checksum.`);
}

/** The checksum elements of one `<Part>` of a CompleteMultipartUpload, by algorithm (`ChecksumCRC32` → CRC32). */
export function listedPartChecksums(part: Record<string, unknown>): Record<string, string> {
  const checksums: Record<string, string> = {};
  for (const [name, value] of Object.entries(part)) {
    if (!name.startsWith("Checksum")) continue;
    if (typeof value !== "string") throw s3Error("MalformedXML", `${name} must be text`);
    checksums[parseChecksumAlgorithm(name.slice("Checksum".length))] = value;
  }
  return checksums;
}

/** The object's stored flexible checksum as CompleteMultipartUploadResult elements (`ChecksumCRC32`, `ChecksumType`). */
export function checksumResultElements(systemMetadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(systemMetadata)) {
    if (name === "x-amz-checksum-type") out.ChecksumType = value;
    else if (name.startsWith("x-amz-checksum-")) out[`Checksum${name.slice("x-amz-checksum-".length).toUpperCase()}`] = value;
  }
  return out;
}
