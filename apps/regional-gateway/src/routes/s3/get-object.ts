import { pipeline, Readable } from "node:stream";
import { assertObjectKey } from "@s3gw/core";
import type { Context } from "hono";
import { isCrossBorder, sourceCountryOf } from "../../source-country.ts";
import type { AppEnv } from "../../env.ts";
import { checkRead } from "../../services/compliance/access-policy.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { damagedObjectError, readVerified, reportDamage, verifyBytes, VerifyingStream } from "../../services/objects/integrity-read.ts";
import { failRead, openAuthenticated, readAuthenticated } from "../../services/objects/sealed-read.ts";
import { findObject, openObject, renderEtag, type ObjectRow, type OpenedOrWhole } from "../../services/objects/objects.ts";
import { BlobNotFoundError, SealedBlobError } from "@s3gw/storage";
import { checkPreconditions } from "./conditions.ts";
import { objectResponseHeaders } from "./object-headers.ts";
import { planRead, responseOverrides, type ReadPlan } from "./read-options.ts";
import { expirationHeaders } from "../../services/objects/lifecycle-expiration.ts";
import { versionResponseHeaders } from "./version-headers.ts";
import { parseVersionId } from "../../services/objects/versions.ts";
import { encryptionHeaders, givenCustomerKey, readKeys } from "./object-encryption.ts";

const DEFAULT_VERIFY_BUFFER_BYTES = 1024 * 1024;

export async function getObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const deps = c.get("deps"), customer = c.get("customer"), op = c.get("op");
  const head = c.req.method === "HEAD";
  assertObjectKey(key);
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const versionId = parseVersionId(c.get("s3Target").query.get("versionId"));
  const overrides = responseOverrides(c);

  const facts = { bucket: bucketName, key, sourceCountry: sourceCountryOf(c) };
  const given = givenCustomerKey(c);
  const access = readKeys(c, given);
  if (head) {
    const row = await findObject(deps.db, bucket, key, versionId);
    op.crossBorder = isCrossBorder(facts.sourceCountry, row.storageCountry, customer.country);
    await checkRead(deps, customer, facts, row);
    // A part the object lacks is InvalidPart before any SSE-C key is asked for, as S3 answers.
    const { range, headers: partHeaders } = await planRead(c, row);
    access.check(row.encryption);
    checkPreconditions(c.req.raw.headers, renderEtag(row), row.lastModified);
    const headers = {
      ...objectResponseHeaders(row), ...encryptionHeaders(c, row.encryption, given), ...versionResponseHeaders(bucket, row),
      ...(await expirationHeaders(deps, bucket, row)), ...partHeaders, ...overrides,
    };
    if (range) {
      headers["content-range"] = `bytes ${range.start}-${range.end}/${row.sizeBytes}`;
      delete headers["x-amz-checksum-sha256"]; // a whole-object checksum would not match the part sent
      headers["content-length"] = String(range.end - range.start + 1);
      return c.body(null, 206, headers);
    }
    headers["content-length"] = String(row.sizeBytes);
    return c.body(null, 200, headers);
  }

  // Objects up to this size are read whole and checked before the first byte; larger ones are
  // checked as they stream (see VerifyingStream). A range of a large object cannot be checked
  // against the whole-object hash: it is served as stored, and the background scrub covers it.
  const bufferLimit = deps.config.integrityVerifyBufferBytes ?? DEFAULT_VERIFY_BUFFER_BYTES;
  let plan: ReadPlan | undefined;
  let last: ObjectRow | undefined;
  let opened: OpenedOrWhole;
  try {
    opened = await openObject(deps.db, deps.targets, bucket, key, async (r) => {
      last = r;
      op.crossBorder = isCrossBorder(facts.sourceCountry, r.storageCountry, customer.country);
      await checkRead(deps, customer, facts, r);
      plan = await planRead(c, r);
      access.check(r.encryption);
      checkPreconditions(c.req.raw.headers, renderEtag(r), r.lastModified);
      return r.sizeBytes <= bufferLimit ? undefined : plan.range;
    }, access.keys, versionId, { wholeUpTo: bufferLimit });
  } catch (err) {
    // A small sealed object read whole that does not authenticate: damage, as its stream would report it.
    if (err instanceof SealedBlobError && last) throw await failRead(deps, last, err, undefined);
    // The row says the object exists but its bytes are gone: an integrity failure, not a 500.
    if (!(err instanceof BlobNotFoundError) || !last) throw err;
    await reportDamage(deps, last, "missing_data", null);
    throw damagedObjectError(key, "missing_data");
  }
  const { row } = opened;
  const range = plan?.range;
  const headers = { ...objectResponseHeaders(row), ...encryptionHeaders(c, row.encryption, given), ...versionResponseHeaders(bucket, row), ...plan?.headers, ...overrides };
  const length = range ? range.end - range.start + 1 : row.sizeBytes;
  headers["content-length"] = String(length);
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${row.sizeBytes}`;
    delete headers["x-amz-checksum-sha256"]; // a whole-object checksum would not match the part sent
  }
  op.bytes = length;
  const status = range ? 206 : 200;
  // A sealed object authenticates every segment as it is opened (AES-GCM under the blob's own
  // key): hashing it again would check the same bytes twice. Plaintext objects (stored before
  // encryption at rest) are hashed against their SHA-256 as before.
  const sealed = row.encryption !== null;
  if ("whole" in opened) {
    const whole = sealed ? opened.whole : await verifyBytes(deps, row, opened.whole);
    return new Response(range ? whole.subarray(range.start, range.end + 1) : whole, { status, headers });
  }
  const { body, parts } = opened;
  if (row.sizeBytes <= bufferLimit) {
    const whole = sealed ? await readAuthenticated(deps, row, body, parts) : await readVerified(deps, row, body, parts);
    return new Response(range ? whole.subarray(range.start, range.end + 1) : whole, { status, headers });
  }
  // pipeline: a failing source fails the response, and a client that hangs up closes the file.
  const out = sealed ? await openAuthenticated(deps, row, body, parts, () => c.env.outgoing.headersSent) : range ? body : pipeline(body, new VerifyingStream(deps, row, parts), () => {});
  return new Response(Readable.toWeb(out) as ReadableStream, { status, headers });
}
