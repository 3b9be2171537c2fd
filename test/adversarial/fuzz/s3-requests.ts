import { createHash } from "node:crypto";
import { signForwardedRequest } from "@s3gw/core";
import type { S3Operation } from "../../../apps/regional-gateway/src/routes/s3/operations.ts";
import { TEST_GATEWAY_SECRET } from "../../../apps/regional-gateway/test/harness.ts";
import type { Credentials } from "../../support/s3-clients.ts";
import type { RegionId } from "../../support/stack.ts";
import type { Fixtures, FuzzCustomer } from "./fixtures.ts";
import type { Framing, FuzzRequest } from "./http.ts";
import { bogusHeaders, brokenAuthorization, brokenPresignQuery, hostileSegment, mutatePath, mutateQuery, mutateXml } from "./mutate.ts";
import type { Rng } from "./rng.ts";
import { presignTarget, signHeaders } from "./sign.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const REGIONS: RegionId[] = ["FI-HEL", "DE-FRA", "US-EAST"];
const METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "TRACE"];
/** Keys are literal: sent as written (the fixture "uploads/../victim.txt" included). */
const encodeKey = (k: string) => k.split("/").map((s) => (s === ".." || s === "." ? s : encodeURIComponent(s))).join("/");

/** A valid XML body for each operation that takes one. */
function xmlFor(op: S3Operation, t: FuzzCustomer, rng: Rng, uploadEtag: string): string {
  switch (op.name) {
    case "CreateBucket": return `<CreateBucketConfiguration><LocationConstraint>${rng.pick(["eu-north-1", "us-east-1", "ap-south-1"])}</LocationConstraint></CreateBucketConfiguration>`;
    case "PutBucketLifecycleConfiguration": return `<LifecycleConfiguration><Rule><ID>fuzz</ID><Filter><Prefix>zz-expire/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>${1 + rng.int(400)}</Days></Expiration></Rule></LifecycleConfiguration>`;
    case "DeleteObjects": return `<Delete>${rng.chance(0.5) ? "<Quiet>true</Quiet>" : ""}<Object><Key>${rng.pick(["fz/0.txt", "nothing", t.keys[0]!])}</Key></Object><Object><Key>fz/1.txt</Key></Object></Delete>`;
    case "PutObjectLegalHold": return `<LegalHold><Status>${rng.pick(["ON", "OFF"])}</Status></LegalHold>`;
    case "PutObjectRetention": return `<Retention><Mode>${rng.pick(["GOVERNANCE", "COMPLIANCE"])}</Mode><RetainUntilDate>${new Date(Date.now() + (1 + rng.int(3)) * 86_400_000).toISOString()}</RetainUntilDate></Retention>`;
    case "PutObjectTagging": return `<Tagging><TagSet><Tag><Key>k${rng.int(5)}</Key><Value>v</Value></Tag></TagSet></Tagging>`;
    case "CompleteMultipartUpload": return `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${uploadEtag}</ETag></Part></CompleteMultipartUpload>`;
    default: return "<Root><Value>x</Value></Root>";
  }
}

/** The sub-resource and operation-specific query of a row. */
function queryFor(op: S3Operation, rng: Rng, uploadId: string): string[] {
  const q: string[] = [];
  if (op.name === "ListObjectsV2") q.push("list-type=2");
  if (op.sub === "uploadId") {
    q.push(`uploadId=${rng.chance(0.85) ? encodeURIComponent(uploadId) : rng.pick(["garbage", "%00", "0", ""])}`);
    if (op.name === "UploadPart" || op.name === "UploadPartCopy") q.push(`partNumber=${rng.pick(["1", "2", "3", "10000"])}`);
    if (op.name === "ListParts" && rng.chance(0.3)) q.push(`max-parts=${rng.pick(["1", "0", "-1"])}`, "part-number-marker=1");
  } else if (op.sub) {
    q.push(op.sub);
  }
  if (op.name === "ListObjectsV2" || op.name === "ListObjects") {
    for (const p of rng.some(["prefix=dir%2F", "delimiter=%2F", "max-keys=1", "max-keys=1000", "start-after=a", "continuation-token=Zm9v", "encoding-type=url", "marker=doc", "fetch-owner=true"], 3)) if (rng.chance(0.6)) q.push(p);
  }
  if (op.name === "ListMultipartUploads" && rng.chance(0.4)) q.push(rng.pick(["prefix=mp", "key-marker=mp%2F1.bin", "max-uploads=1", "upload-id-marker=x"]));
  if (op.name === "GetObject" && rng.chance(0.2)) q.push(rng.pick(["response-content-type=text%2Fplain", "response-content-disposition=attachment", "partNumber=1", "versionId=null"]));
  return q;
}

function headersFor(op: S3Operation, rng: Rng, t: FuzzCustomer, other: FuzzCustomer): Record<string, string> {
  const h: Record<string, string> = {};
  if (op.name === "CopyObject" || op.name === "UploadPartCopy") {
    const src = rng.chance(0.8) ? t : other;
    h["x-amz-copy-source"] = rng.chance(0.9) ? `/${rng.pick(src.buckets.slice(0, 2))}/${encodeKey(rng.pick(src.keys))}` : `/${hostileSegment(rng)}/${hostileSegment(rng)}`;
    if (rng.chance(0.3)) h["x-amz-metadata-directive"] = rng.pick(["COPY", "REPLACE"]);
    if (rng.chance(0.2)) h["x-amz-tagging-directive"] = rng.pick(["COPY", "REPLACE"]);
    if (rng.chance(0.2)) h["x-amz-copy-source-if-match"] = "\"0\"";
    if (op.name === "UploadPartCopy" && rng.chance(0.5)) h["x-amz-copy-source-range"] = rng.pick(["bytes=0-3", "bytes=0-999999", "bytes=5-1"]);
  }
  if (op.name === "PutObject" || op.name === "CreateMultipartUpload" || op.name === "CopyObject") {
    if (rng.chance(0.5)) h["content-type"] = rng.pick(["text/plain", "application/pdf", "application/octet-stream"]);
    if (rng.chance(0.3)) h["x-amz-meta-data-subject-id"] = `subject@${t.id}.example`;
    if (rng.chance(0.2)) h["x-amz-tagging"] = rng.pick(["a=1&b=2", "k=%ff"]);
    if (rng.chance(0.1)) h["x-amz-object-lock-mode"] = "GOVERNANCE";
    if (rng.chance(0.1)) h["x-amz-object-lock-retain-until-date"] = new Date(Date.now() + 3_600_000).toISOString();
    if (rng.chance(0.1)) h["x-amz-object-lock-legal-hold"] = "ON";
    if (rng.chance(0.1)) h["if-none-match"] = "*";
  }
  if (op.name === "GetObject" || op.name === "HeadObject") {
    if (rng.chance(0.3)) h.range = rng.pick(["bytes=0-3", "bytes=-5", "bytes=100-", "bytes=0-0"]);
    if (rng.chance(0.15)) h[rng.pick(["if-match", "if-none-match"])] = rng.pick(["*", "\"abc\""]);
    if (rng.chance(0.1)) h["if-modified-since"] = new Date(Date.now() - 3_600_000).toUTCString();
  }
  if ((op.name === "DeleteObject" || op.name === "DeleteObjects" || op.name === "PutObjectRetention") && rng.chance(0.2)) h["x-amz-bypass-governance-retention"] = "true";
  return h;
}

function bytesBody(rng: Rng): Buffer {
  const n = rng.chance(0.01) ? 6 * 1024 * 1024 : rng.chance(0.1) ? rng.int(200_000) : rng.int(2000);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 997) b[i] = rng.int(256);
  return b;
}

function pickFraming(rng: Rng, mutations: string[]): Framing {
  const r = rng.next();
  const f: Framing = r < 0.86 ? "length" : r < 0.91 ? "chunked" : r < 0.95 ? "expect" : rng.pick(["cl-short", "cl-long", "te+cl"]);
  if (f !== "length") mutations.push(`framing ${f}`);
  return f;
}

/** One request for one row of the S3 operation table, mutated and signed as the dice say. */
export async function buildS3Request(rng: Rng, fx: Fixtures, op: S3Operation, index: number): Promise<FuzzRequest> {
  const mutations: string[] = [];
  const t = rng.pick(fx.customers);
  const other = fx.customers.find((c) => c !== t)!;
  const r = rng.next();
  const layer = r < 0.55 ? "global" : r < 0.9 ? t.region : rng.pick(REGIONS.filter((x) => x !== t.region));
  if (layer !== "global" && layer !== t.region) mutations.push("wrong region");
  const base = layer === "global" ? fx.global : fx.regions[layer as RegionId];

  const upload = rng.pick(t.uploads);
  let bucket = rng.pick(t.buckets);
  let key = rng.pick([...t.keys, `fz/${rng.int(30)}.txt`, `fz/${rng.int(30)}.txt`]);
  if (op.sub === "uploadId" || op.name === "CreateMultipartUpload") {
    if (rng.chance(0.8)) ({ bucket, key } = upload);
  }
  if (op.name === "CreateBucket" || op.name === "DeleteBucket") bucket = rng.chance(0.7) ? `${t.buckets[0]!.slice(0, 3)}-new-${rng.int(8)}` : bucket;
  const br = rng.next();
  if (br < 0.06) {
    bucket = rng.pick(other.buckets);
    mutations.push("other tenant's bucket");
  } else if (br < 0.1) {
    bucket = `nosuch-${rng.int(5)}`;
  }
  let method = op.method === "*" ? rng.pick(["GET", "PUT", "DELETE"]) : op.method;
  const prefix = rng.chance(0.3) ? "/s3" : "";
  let path = op.scope === "service" ? `${prefix}/` : op.scope === "bucket" ? `${prefix}/${bucket}` : `${prefix}/${bucket}/${encodeKey(key)}`;
  if (op.scope === "service" && prefix === "/s3" && rng.chance(0.5)) path = "/s3";
  let query = queryFor(op, rng, upload.uploadId).join("&");
  let headers = headersFor(op, rng, t, other);
  let body: Buffer = op.body.kind === "xml" ? Buffer.from(xmlFor(op, t, rng, upload.etag)) : op.body.kind === "bytes" ? bytesBody(rng) : Buffer.alloc(0);

  // Mutations that are signed (they reach the handler when the signature is otherwise good).
  if (rng.chance(0.06)) {
    method = rng.pick(METHODS);
    mutations.push(`method ${method}`);
  }
  if (rng.chance(0.2)) {
    const m = mutatePath(rng, path);
    path = m.path;
    mutations.push(`path: ${m.what}`);
  }
  if (rng.chance(0.18)) {
    const m = mutateQuery(rng, query);
    query = m.query;
    mutations.push(`query: ${m.what}`);
  }
  if (rng.chance(0.14)) {
    const m = bogusHeaders(rng);
    headers = { ...headers, ...m.headers };
    mutations.push(m.what);
  }
  if (op.body.kind === "xml" && rng.chance(0.5)) {
    const m = mutateXml(rng, body.toString());
    body = m.body;
    mutations.push(`xml: ${m.what}`);
  } else if (op.body.kind === "none" && rng.chance(0.05)) {
    body = Buffer.from(rng.pick(["junk", "<x/>", "x".repeat(100_000)]));
    mutations.push("unexpected body");
  }
  const target = query === "" ? path : `${path}?${query}`;

  // Authentication.
  const creds: Credentials = rng.chance(0.08) ? other.full : rng.chance(0.8) ? t.full : rng.pick([t.readOnly, t.limited]);
  if (creds === other.full) mutations.push("other tenant's key");
  const a = rng.next();
  let sent = { target, headers, body };
  if (a < 0.55) {
    const payload = rng.next();
    const hash = payload < 0.8 ? sha(body) : payload < 0.93 ? "UNSIGNED-PAYLOAD" : rng.pick(["0".repeat(64), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "bogus"]);
    if (payload >= 0.8) mutations.push(`payload ${hash.slice(0, 24)}`);
    const skew = rng.chance(0.03) ? rng.pick([-1, 1]) * 20 * 60_000 : 0;
    if (skew) mutations.push("clock skew 20 min");
    const signed = await signHeaders(creds, base, method, target, headers, hash, { date: new Date(Date.now() + skew), region: rng.chance(0.03) ? "eu-north-1" : undefined });
    sent = { target, headers: signed, body };
    // After signing: a tampered body, an unsigned header, a changed host.
    const after = rng.next();
    if (after < 0.05 && body.length > 0) {
      const tampered = Buffer.from(body);
      const at = rng.int(tampered.length);
      tampered[at] = tampered[at]! ^ 0x01;
      sent.body = tampered;
      mutations.push("body tampered after signing");
    } else if (after < 0.09) {
      sent.headers = { ...signed, ...bogusHeaders(rng).headers };
      mutations.push("unsigned headers added");
    } else if (after < 0.11) {
      sent.target = `${target}${target.includes("?") ? "&" : "?"}x-id=unsigned`;
      mutations.push("unsigned query added");
    }
    mutations.push("sigv4");
  } else if (a < 0.65) {
    const p = await presignTarget(creds, base, method, target, headers, rng.pick([60, 300, 604_800]), rng.chance(0.1) ? { date: new Date(Date.now() - 3_600_000 * 24 * 8) } : {});
    sent = { target: p.target, headers: p.headers, body };
    mutations.push("presigned");
  } else if (a < 0.8) {
    sent = { target, headers: { ...headers, "x-customer-id": rng.chance(0.95) ? t.id : rng.pick(["FZ-ALPHA", "fz-nobody", "a", "x".repeat(100)]) }, body };
    mutations.push("trusted header");
  } else if (a < 0.85) {
    mutations.push("anonymous");
  } else if (a < 0.93) {
    sent = { target, headers: { ...headers, authorization: brokenAuthorization(rng, creds.accessKeyId), "x-amz-date": "20240101T000000Z", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body };
    mutations.push("broken authorization");
  } else {
    sent = { target: `${target}${target.includes("?") ? "&" : "?"}${brokenPresignQuery(rng, creds.accessKeyId)}`, headers, body };
    mutations.push("broken presign query");
  }
  // An insider on the region's network forging or replaying the router's proof.
  if (layer !== "global" && rng.chance(0.05)) {
    // A variable, not a literal: the proof's fields are growing (sourceCountry) while this is written.
    const forwarded = { method, pathAndQuery: sent.target, forwardedFor: "203.0.113.9", forwardedHost: "x", forwardedProto: "http", routedCustomerId: other.id, sourceCountry: "FI" };
    const proof = rng.chance(0.5) ? "t=1,v1=" + "0".repeat(64) : signForwardedRequest(TEST_GATEWAY_SECRET, forwarded as Parameters<typeof signForwardedRequest>[1], Date.now() / 1000);
    sent.headers = { ...sent.headers, "x-s3gw-forwarded-proof": proof, "x-s3gw-routed-customer": other.id, "x-forwarded-for": "203.0.113.9" };
    mutations.push("router proof forged");
  }
  return { index, layer, route: op.name, mutations, method, target: sent.target, headers: sent.headers, body: sent.body, framing: pickFraming(rng, mutations) };
}
