import { assertObjectKey, S3_XMLNS, s3Error, toXml } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { checkRead } from "../../services/compliance/access-policy.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { checksumResultElements } from "../../services/objects/multipart-checksums.ts";
import { objectPartsPage } from "../../services/objects/object-attributes.ts";
import { findObject, renderEtag } from "../../services/objects/objects.ts";
import { parseVersionId, versionHeader } from "../../services/objects/versions.ts";
import { isCrossBorder, sourceCountryOf } from "../../source-country.ts";
import { checksumHeaders } from "./object-headers.ts";
import { givenCustomerKey, readKeys } from "./object-encryption.ts";
import { httpDate } from "./xml-response.ts";

const ATTRIBUTES = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"] as const;
type Attribute = (typeof ATTRIBUTES)[number];
const MAX_PARTS = 1000;

/** `x-amz-object-attributes`: a comma-separated list of S3's attribute names, at least one. */
function requestedAttributes(header: string | undefined): Set<Attribute> {
  const names = (header ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw s3Error("InvalidArgument", "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty");
  for (const n of names) if (!(ATTRIBUTES as readonly string[]).includes(n)) throw s3Error("InvalidArgument", "Invalid attribute name specified.");
  return new Set(names as Attribute[]);
}

function integerHeader(c: Context<AppEnv>, name: string, fallback: number, max: number): number {
  const raw = c.req.header(name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) throw s3Error("InvalidArgument", `${name} must be an integer between 0 and ${max}`);
  return Number(raw);
}

/** GetObjectAttributes (`GET ?attributes`): what x-amz-object-attributes asks for, with ObjectParts paged by x-amz-max-parts / x-amz-part-number-marker. */
export async function getObjectAttributesHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const wanted = requestedAttributes(c.req.header("x-amz-object-attributes"));
  const maxParts = integerHeader(c, "x-amz-max-parts", MAX_PARTS, MAX_PARTS);
  const marker = integerHeader(c, "x-amz-part-number-marker", 0, 10_000);
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const row = await findObject(deps.db, bucket, key, parseVersionId(c.var.s3Target.query.get("versionId")));
  const facts = { bucket: bucketName, key, sourceCountry: sourceCountryOf(c) };
  op.crossBorder = isCrossBorder(facts.sourceCountry, row.storageCountry, customer.country);
  await checkRead(deps, customer, facts, row);
  // An SSE-C object's attributes are the customer's too: as on AWS, they need its key (400 missing, 403 wrong).
  readKeys(c, givenCustomerKey(c)).check(row.encryption);

  const result: Record<string, unknown> = { "@_xmlns": S3_XMLNS };
  if (wanted.has("ETag")) result.ETag = renderEtag(row).slice(1, -1);
  // The checksum GET/HEAD answer under x-amz-checksum-mode: the flexible one it was written with, else its SHA-256.
  const checksums = checksumHeaders(row);
  if (wanted.has("Checksum")) result.Checksum = checksumResultElements(checksums);
  if (wanted.has("ObjectParts") && row.partsCount) {
    const page = await objectPartsPage(deps.db, row, marker, maxParts);
    const last = page.parts.at(-1);
    // An upload made with x-amz-checksum-algorithm SHA256 has its parts' flexible checksums listed,
    // as S3 does: each is the SHA-256 of the part's bytes, which the manifest keeps (object_parts.sha256).
    // Other algorithms' part checksums are not kept past Complete, so they are not listed.
    const partSha256 = row.systemMetadata["x-amz-checksum-sha256"] !== undefined && checksums["x-amz-checksum-type"] === "COMPOSITE";
    result.ObjectParts = {
      PartNumberMarker: marker,
      ...(page.truncated && last ? { NextPartNumberMarker: last.partNumber } : {}),
      MaxParts: maxParts,
      IsTruncated: page.truncated,
      PartsCount: row.partsCount,
      // Without a requested algorithm the parts' SHA-256s are the gateway's own integrity digests: not listed.
      Part: page.parts.map((p) => ({ PartNumber: p.partNumber, Size: p.size, ...(partSha256 && { ChecksumSHA256: Buffer.from(p.sha256, "hex").toString("base64") }) })),
    };
  }
  if (wanted.has("StorageClass")) result.StorageClass = "STANDARD";
  if (wanted.has("ObjectSize")) result.ObjectSize = row.sizeBytes;
  const headers = { "content-type": "application/xml", "last-modified": httpDate(row.lastModified), ...versionHeader(bucket.versioning, row.versionId) };
  return c.body(toXml({ GetObjectAttributesResponse: result }), 200, headers);
}
