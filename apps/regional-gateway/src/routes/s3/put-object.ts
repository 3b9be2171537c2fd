import { assertObjectKey } from "@s3gw/core";
import type { Context } from "hono";
import { sourceCountryOf } from "../../source-country.ts";
import type { AppEnv } from "../../env.ts";
import { empty } from "./xml-response.ts";
import { expirationHeaders } from "../../services/objects/lifecycle-expiration.ts";
import { prepareObjectWrite, storeObject } from "../../services/objects/object-write.ts";
import { parseTaggingHeader } from "../../services/objects/tags.ts";
import { declaredBodySize, requestBody } from "./body.ts";
import { bodyChecksumSpec, checksummed, checksumResponseHeader, keepChecksum } from "./body-checksum.ts";
import { writeCondition } from "./conditions.ts";
import { parseContentMd5, readObjectHeaders } from "./object-headers.ts";
import { governanceBypass } from "./object-lock.ts";
import { parseLockHeaders } from "./object-lock-headers.ts";
import { writtenVersionHeader } from "../../services/objects/versions.ts";
import { encryptionHeaders, requestedSse } from "./object-encryption.ts";
import { eventOrigin } from "./event-origin.ts";

export async function putObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const deps = c.get("deps"), customer = c.get("customer"), op = c.get("op");
  assertObjectKey(key);
  const spec = c.get("s3Operation").body;
  const maxSize = spec.kind === "bytes" ? spec.maxBytes : 0;
  const contentMd5 = parseContentMd5(c.req.header("content-md5"));
  const checksum = bodyChecksumSpec(c);
  const meta = { ...readObjectHeaders(c.req.raw.headers, c.get("s3Auth")?.verified.headerText), tags: parseTaggingHeader(c.req.header("x-amz-tagging")) ?? {} };
  // An oversized upload is refused before residency, rules or locks are even looked at.
  const declaredSize = declaredBodySize(c);
  const ctx = { deps, customer, op };
  const sourceCountry = sourceCountryOf(c);
  const sse = requestedSse(c);
  const prepared = await prepareObjectWrite({
    ctx,
    input: { bucketName, key, sourceCountry, contentType: meta.contentType, declaredSize, condition: writeCondition(c.req.raw.headers), bypassGovernance: () => governanceBypass(c), lock: parseLockHeaders(c.req.raw.headers, deps.clock.now()), sse, event: { name: "s3:ObjectCreated:Put", origin: eventOrigin(c) } },
  });
  // The body is read (and `100 Continue` sent) only once every check above passed.
  const body = requestBody(c);
  const checked = checksum && checksummed(body.stream, checksum);
  const row = await storeObject({
    ctx,
    prepared,
    input: {
      key, sourceCountry, meta,
      bytes: async (tenant, dataKey) => {
        const blob = await tenant.put(checked?.stream ?? body.stream, { ...(body.size === undefined ? {} : { expectedSize: body.size }), ...(contentMd5 ? { contentMd5 } : {}), maxSize }, dataKey);
        keepChecksum(meta.systemMetadata, checksum, checked);
        return blob;
      },
    },
  });
  return empty(c, 200, {
    etag: `"${row.etag}"`,
    "x-amz-checksum-sha256": Buffer.from(row.sha256, "hex").toString("base64"),
    ...writtenVersionHeader(row.versionId),
    ...encryptionHeaders(c, row.encryption, sse, true),
    ...(await expirationHeaders(deps, prepared.bucket, row)),
    ...(checksum && checked ? checksumResponseHeader(checksum, checked.value()) : {}),
  });
}
