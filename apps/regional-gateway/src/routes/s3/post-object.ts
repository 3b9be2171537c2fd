import { pipeline, Transform } from "node:stream";
import { assertAcceptableAcl, assertObjectKey, checkPostPolicy, parseSseRequest, parseXml, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { clientScheme, privateTransport } from "../../client-transport.ts";
import { sourceCountryOf } from "../../source-country.ts";
import { prepareObjectWrite, storeObject } from "../../services/objects/object-write.ts";
import { validateTags, type Tags } from "../../services/objects/tags.ts";
import { actionOf, assertBucketPolicyAllows } from "./authorize.ts";
import { readObjectHeaders } from "./object-headers.ts";
import { readPostForm } from "./post-form.ts";
import { authenticatePostForm } from "./post-auth.ts";
import { versionResponseHeaders } from "./version-headers.ts";
import { xml } from "./xml-response.ts";
import { encryptionHeaders } from "./object-encryption.ts";
import { elements, text } from "./xml-body.ts";
import { eventOrigin } from "./event-origin.ts";

/** Form fields that become object headers, as on a PutObject. */
const HEADER_FIELDS = ["content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires"];

/** The object headers the form names, through the same reader (and limits) as PutObject's headers. */
function formHeaders(fields: ReadonlyMap<string, string>): Headers {
  const headers = new Headers();
  for (const [name, value] of fields) {
    if (!HEADER_FIELDS.includes(name) && !name.startsWith("x-amz-meta-")) continue;
    if (/[\r\n]/.test(value)) throw s3Error("InvalidArgument", `The form field ${name} may not contain line breaks`);
    try {
      // Header values are bytes: UTF-8 text is carried as its bytes, read back as UTF-8 by readObjectHeaders.
      headers.set(name, Buffer.from(value, "utf8").toString("latin1"));
    } catch {
      throw s3Error("InvalidArgument", `The form field ${name.slice(0, 64)} is not a valid header`);
    }
  }
  return headers;
}

/** The `tagging` field: a `<Tagging><TagSet><Tag>` document, as on PutObjectTagging. */
function formTags(value: string | undefined): Tags {
  if (value === undefined) return {};
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(value);
  } catch {
    throw s3Error("MalformedXML", "The tagging field is not well-formed XML");
  }
  const tagSet = elements(doc["Tagging"])[0]?.["TagSet"];
  if (tagSet === undefined) throw s3Error("MalformedXML", "The tagging field must be a Tagging document");
  const pairs = elements(elements(tagSet)[0]?.["Tag"]).map((t): [string, string] => {
    const [k, v] = [text(t["Key"]), text(t["Value"])];
    if (k === undefined || v === undefined) throw s3Error("MalformedXML", "Each Tag needs a Key and a Value");
    return [k, v];
  });
  return validateTags(pairs);
}

/** Passes the file through while counting it; outside the policy's content-length-range it fails the write. */
function sizeRange(min: number, max: number): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > max) done(s3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"));
      else done(null, chunk);
    },
    flush(done) {
      done(size < min ? s3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size") : null);
    },
  });
}

/** success_action_redirect (or the older `redirect`) when it is an http(s) URL; S3 ignores anything else. */
function redirectTarget(fields: ReadonlyMap<string, string>): URL | undefined {
  const value = fields.get("success_action_redirect") ?? fields.get("redirect");
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST Object: a browser form upload. The form is read up to its file, authenticated by its
 * policy signature, checked against the policy, and the file streams to storage through the
 * same write path as PutObject (residency before any byte, rules, lock, commit + audit row).
 */
export async function postObjectHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, op } = c.var;
  if (/^100-continue$/i.test(c.req.header("expect") ?? "") && !c.env.outgoing.headersSent) c.env.outgoing.writeContinue();
  const form = await readPostForm(c.env.incoming, c.req.header("content-type"));
  try {
    const { key: accessKey, policy } = await authenticatePostForm(c, form.fields, bucketName);
    const customer = c.var.customer;
    const rawKey = form.fields.get("key");
    if (rawKey === undefined || rawKey === "") throw s3Error("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
    const key = rawKey.replaceAll("${filename}", form.file.filename);
    assertObjectKey(key);
    op.key = key;
    const checked = new Map(form.fields).set("key", key).set("bucket", bucketName);
    const range = checkPostPolicy(policy, checked, deps.clock.now());
    // The form's `acl` and `x-amz-grant-*` fields are the headers of a PutObject: owner-only, as there.
    assertAcceptableAcl((name) => form.fields.get(name === "x-amz-acl" ? "acl" : name));
    // The bucket policy judges a form upload as the PutObject it is, once its key is known.
    await assertBucketPolicyAllows(c, { bucket: bucketName, key, action: actionOf(c.var.s3Operation), accessKeyId: accessKey.accessKeyId });
    const meta = { ...readObjectHeaders(formHeaders(form.fields), "utf8"), tags: formTags(form.fields.get("tagging")) };
    const spec = c.var.s3Operation.body;
    const maxBytes = Math.min(range.maxBytes, spec.kind === "bytes" ? spec.maxBytes : 0);
    const sourceCountry = sourceCountryOf(c);
    const ctx = { deps, customer, op };
    // The form's SSE fields are the headers of a PutObject, validated the same way.
    const sse = parseSseRequest((name) => form.fields.get(name), { kind: "write", secure: privateTransport(c) });
    const prepared = await prepareObjectWrite({
      ctx,
      input: { bucketName, key, sourceCountry, contentType: meta.contentType, declaredSize: undefined, bypassGovernance: async () => false, sse, event: { name: "s3:ObjectCreated:Post", origin: eventOrigin(c) } },
    });
    // pipeline, not pipe: a file part that already failed (the client left) fails the write at once.
    const bytes = sizeRange(range.minBytes, maxBytes);
    pipeline(form.file.stream, bytes, () => {});
    const row = await storeObject({ ctx, prepared, input: { key, sourceCountry, meta, bytes: (tenant, dataKey) => tenant.put(bytes, { maxSize: maxBytes }, dataKey) } });
    return answer(c, form.fields, { bucket: bucketName, key, etag: `"${row.etag}"` }, { ...versionResponseHeaders(prepared.bucket, row), ...encryptionHeaders(c, row.encryption, sse, true) });
  } finally {
    // Whatever happened, the rest of the form is read and dropped, never left to stall the socket.
    form.file.stream.resume();
  }
}

function answer(c: Context<AppEnv>, fields: ReadonlyMap<string, string>, done: { bucket: string; key: string; etag: string }, version: Record<string, string>): Response {
  const location = `${clientScheme(c)}://${c.req.header("host") ?? "localhost"}/${encodeURIComponent(done.bucket)}/${done.key.split("/").map(encodeURIComponent).join("/")}`;
  const redirect = redirectTarget(fields);
  if (redirect) {
    const query = Object.entries(done).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
    const base = redirect.href.replace(/#.*$/, "");
    return c.body(null, 303, { ...version, location: `${base}${redirect.search ? "&" : "?"}${query}`, etag: done.etag, "content-length": "0" });
  }
  const status = fields.get("success_action_status");
  if (status === "201") {
    const res = xml(c, { PostResponse: { "@_xmlns": S3_XMLNS, Location: location, Bucket: done.bucket, Key: done.key, ETag: done.etag } }, 201);
    for (const [k, v] of Object.entries(version)) res.headers.set(k, v);
    return res;
  }
  return c.body(null, status === "200" ? 200 : 204, { ...version, etag: done.etag, location, ...(status === "200" ? { "content-length": "0" } : {}) });
}
