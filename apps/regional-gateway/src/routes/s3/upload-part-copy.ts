import { S3_XMLNS, s3Error, type ChecksumAlgorithm } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { MAX_PART_SIZE, recordPart } from "../../services/objects/multipart.ts";
import { checksummed } from "./body-checksum.ts";
import { openCopySource, parseCopySource } from "./copy-source.ts";
import { partTarget } from "./upload-part.ts";
import { isoDate, xml } from "./xml-response.ts";
import { newBlobKey } from "../../services/encryption/object-sealing.ts";
import { encryptionHeaders, givenCustomerKey, partSealing } from "./object-encryption.ts";

/** `x-amz-copy-source-range: bytes=first-last`, both inclusive and inside the source. */
function copyRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{1,16})-(\d{1,16})$/.exec(header.trim());
  if (!m) throw s3Error("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end) throw s3Error("InvalidArgument", `Range specified is not valid for source object of size: ${size}`);
  // Well-formed but past the source's end: S3's InvalidRange, as for a GET.
  if (end >= size) throw s3Error("InvalidRange", `Range specified is not valid for source object of size: ${size}`);
  return { start, end };
}

/**
 * UploadPartCopy: a part whose bytes are (a range of) one of the caller's objects, streamed blob
 * to blob. In an upload created with x-amz-checksum-algorithm the copied bytes are checksummed
 * on the way, kept with the part (so the object gets its composite checksum) and answered in
 * CopyPartResult, as S3 does.
 */
export async function uploadPartCopyHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const src = parseCopySource(c);
  const { upload, partNumber } = await partTarget(c, bucketName, key);
  op.info = { ...op.info, copy_source: `${src.bucket}/${src.key}` };
  const source = await openCopySource(c, src, (row) => copyRange(c.req.header("x-amz-copy-source-range"), row.sizeBytes));
  const tenant = await deps.targets.recorded(customer.customerId, upload.storageProviderId);
  const size = source.range ? source.range.end - source.range.start + 1 : source.row.sizeBytes;
  const given = givenCustomerKey(c);
  const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | null;
  let blob;
  let sealed;
  let checked: ReturnType<typeof checksummed> | null | undefined;
  try {
    if (size > MAX_PART_SIZE) throw s3Error("EntityTooLarge");
    sealed = await newBlobKey(deps, customer.customerId, await partSealing(c, upload, given, tenant.provider));
    checked = algorithm && checksummed(source.body, { algorithm, expected: undefined });
    blob = await tenant.put(checked?.stream ?? source.body, { expectedSize: size }, sealed.dataKey);
  } finally {
    source.body.destroy();
  }
  const checksum = checked ? checked.value() : null;
  const part = await recordPart(deps.db, tenant, upload, { partNumber, blob, encryption: sealed.encryption, checksum }, deps.clock.now());
  for (const [name, value] of Object.entries(encryptionHeaders(c, upload.encryption, given))) c.header(name, value);
  op.info = { ...op.info, size: blob.size };
  const result = { "@_xmlns": S3_XMLNS, LastModified: isoDate(part.uploadedAt), ETag: `"${part.etag}"`, ...(algorithm && checksum && { [`Checksum${algorithm}`]: checksum }) };
  return xml(c, { CopyPartResult: result });
}
