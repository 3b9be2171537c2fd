import { checksumHeader, compositeChecksum, parseChecksumAlgorithm, s3Error, type ChecksumAlgorithm } from "@s3gw/core";
import type { PartRow, UploadRow } from "./multipart.ts";

/**
 * The checksum a CreateMultipartUpload asks for (x-amz-checksum-algorithm, and
 * x-amz-checksum-type, which may only be COMPOSITE here: a FULL_OBJECT CRC of the whole would
 * need the parts' CRCs combined, which this gateway does not do). Null when none is asked for.
 */
export function requestedUploadChecksum(algorithm: string | undefined, type: string | undefined): ChecksumAlgorithm | null {
  if (type !== undefined && type.toUpperCase() !== "COMPOSITE") {
    if (type.toUpperCase() === "FULL_OBJECT") throw s3Error("NotImplemented", "The FULL_OBJECT checksum type is not supported for multipart uploads; use COMPOSITE.");
    throw s3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
  }
  if (algorithm === undefined) {
    if (type !== undefined) throw s3Error("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
    return null;
  }
  return parseChecksumAlgorithm(algorithm);
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

/**
 * The object's flexible checksum from its parts: the COMPOSITE of their checksums in the
 * upload's algorithm, as the stored headers GET/HEAD answer with under x-amz-checksum-mode.
 * Nothing when the upload has no algorithm, or a part has no checksum (a copied part).
 */
export async function compositeChecksumHeaders(upload: UploadRow, parts: PartRow[]): Promise<Record<string, string>> {
  const algorithm = uploadAlgorithm(upload);
  if (!algorithm || parts.some((p) => p.checksum === null)) return {};
  return { [checksumHeader(algorithm)]: await compositeChecksum(algorithm, parts.map((p) => p.checksum!)), "x-amz-checksum-type": "COMPOSITE" };
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
