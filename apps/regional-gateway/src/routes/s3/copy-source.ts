import { assertObjectKey, s3Error } from "@s3gw/core";
import type { ReadRange } from "@s3gw/storage";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { isCrossBorder, sourceCountryOf } from "../../source-country.ts";
import { checkRead } from "../../services/compliance/access-policy.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { openObject, renderEtag, type ObjectRow, type OpenedObject } from "../../services/objects/objects.ts";
import { parseVersionId } from "../../services/objects/versions.ts";
import { checkCopySourcePreconditions } from "./conditions.ts";
import { givenCustomerKey, readKeys } from "./object-encryption.ts";

export interface CopySource { bucket: string; key: string; versionId: string | undefined }

/**
 * `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=` (that version, else the latest).
 * Buckets are per customer, so a name always means the caller's own bucket; an access-point
 * ARN or an expected source owner other than the caller (another customer's object) is refused.
 */
export function parseCopySource(c: Context<AppEnv>): CopySource {
  const header = c.req.header("x-amz-copy-source") ?? "";
  const owner = c.req.header("x-amz-source-expected-bucket-owner");
  if (owner !== undefined && owner !== c.var.customer.customerId) throw s3Error("AccessDenied", "The copy source belongs to another customer");
  const q = header.indexOf("?");
  const [path, query] = q < 0 ? [header, ""] : [header.slice(0, q), header.slice(q + 1)];
  const versionId = parseVersionId(new URLSearchParams(query).get("versionId"));
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\//, "");
  } catch {
    throw s3Error("InvalidArgument", "Invalid copy source encoding");
  }
  if (decoded.startsWith("arn:")) throw s3Error("AccessDenied", "Copy sources are the caller's own buckets; access points and other accounts' objects cannot be copied from");
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) throw s3Error("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  const key = decoded.slice(slash + 1);
  assertObjectKey(key);
  return { bucket: decoded.slice(0, slash), key, versionId };
}

/**
 * Opens the source of a copy as a read: the read rules (restriction, cross-border) and the
 * `x-amz-copy-source-if-*` preconditions apply, then the bytes (or `range` of them) stream.
 */
export async function openCopySource(
  c: Context<AppEnv>,
  src: CopySource,
  pickRange: (row: ObjectRow) => ReadRange | undefined = () => undefined,
): Promise<OpenedObject> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps.db, customer.customerId, src.bucket);
  const facts = { bucket: src.bucket, key: src.key, sourceCountry: sourceCountryOf(c) };
  const sealed = readKeys(c, givenCustomerKey(c, "copy-source"));
  return openObject(deps.db, deps.targets, bucket, src.key, async (row) => {
    op.crossBorder = op.crossBorder || isCrossBorder(facts.sourceCountry, row.storageCountry, customer.country);
    await checkRead(deps, customer, facts, row);
    sealed.check(row.encryption);
    checkCopySourcePreconditions(c.req.raw.headers, renderEtag(row), row.lastModified);
    return pickRange(row);
  }, sealed.keys, src.versionId);
}
