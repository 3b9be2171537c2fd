import { createHash } from "node:crypto";
import { parseXml, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/buckets.ts";
import { deleteLifecycle, getLifecycle, parseLifecycleConfiguration, putLifecycle, type LifecycleRule } from "../../services/lifecycle.ts";
import { requestBody } from "./body.ts";
import { parseContentMd5 } from "./object-headers.ts";
import { empty, xml } from "./xml-response.ts";

/** 1000 rules with long prefixes and ten tags each, with room for markup and escaping. */
const MAX_LIFECYCLE_DOC = 8 * 1024 * 1024;

/** Leaves whose text decides what a rule deletes: taken exactly as sent, never trimmed by the parser. */
const EXACT_LEAVES = ["Prefix", "Key", "Value"] as const;
const XML_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeXmlText(raw: string): string {
  return raw.replace(/\r\n?/g, "\n").replace(/&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot|apos));/g, (_, hex: string, dec: string, name: string) =>
    name ? XML_ENTITIES[name]! : String.fromCodePoint(hex ? parseInt(hex, 16) : Number(dec)),
  );
}

/** Setters for every string leaf named `name`, in document order. */
function leaves(node: unknown, name: string, out: ((text: string) => void)[] = []): ((text: string) => void)[] {
  if (Array.isArray(node)) node.forEach((v) => leaves(v, name, out));
  else if (typeof node === "object" && node !== null) {
    const obj = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (k !== name) leaves(v, name, out);
      else if (typeof v === "string") out.push((text) => (obj[k] = text));
      else if (Array.isArray(v)) v.forEach((item, i) => typeof item === "string" && out.push((text) => (v[i] = text)));
    }
  }
  return out;
}

/** The request's `<LifecycleConfiguration>`, parsed, with Prefix, Key and Value restored to their exact text. */
async function readLifecycleDocument(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const body = requestBody(c);
  const contentMd5 = parseContentMd5(c.req.header("content-md5"));
  const tooLarge = () => s3Error("MalformedXML", `The lifecycle configuration exceeds ${MAX_LIFECYCLE_DOC} bytes`);
  if (body.size !== undefined && body.size > MAX_LIFECYCLE_DOC) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_LIFECYCLE_DOC) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (contentMd5 && !createHash("md5").update(bytes).digest().equals(contentMd5)) throw s3Error("BadDigest");
  const source = bytes.toString("utf8");
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(source);
  } catch {
    throw s3Error("MalformedXML");
  }
  for (const name of EXACT_LEAVES) {
    const raw = [...source.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}\\s*>|<${name}\\s*/>`, "g"))].map((m) => m[1] ?? "");
    const parsed = leaves(doc, name);
    // CDATA or comments inside these leaves: their text cannot be matched up, so it is not guessed at.
    if (raw.length !== parsed.length) throw s3Error("NotImplemented", `${name} elements with CDATA sections or comments are not supported`);
    try {
      parsed.forEach((set, i) => set(decodeXmlText(raw[i]!)));
    } catch {
      throw s3Error("MalformedXML", "Invalid character reference");
    }
  }
  return doc;
}

const tagXml = (tags: [string, string][]) => tags.map(([Key, Value]) => ({ Key, Value }));

/** The filter in the shortest of S3's forms that says it: empty, Prefix, one Tag, or And. */
function filterXml(rule: LifecycleRule): unknown {
  const tags = Object.entries(rule.tags);
  if (tags.length === 0) return rule.prefix === "" ? "" : { Prefix: rule.prefix };
  if (tags.length === 1 && rule.prefix === "") return { Tag: tagXml(tags)[0] };
  return { And: { ...(rule.prefix === "" ? {} : { Prefix: rule.prefix }), Tag: tagXml(tags) } };
}

function ruleXml(rule: LifecycleRule): Record<string, unknown> {
  return {
    ID: rule.id,
    Filter: filterXml(rule),
    Status: rule.enabled ? "Enabled" : "Disabled",
    ...(rule.expirationDays === null ? {} : { Expiration: { Days: rule.expirationDays } }),
    ...(rule.abortIncompleteMultipartUploadDays === null ? {} : { AbortIncompleteMultipartUpload: { DaysAfterInitiation: rule.abortIncompleteMultipartUploadDays } }),
  };
}

export async function putBucketLifecycleHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const rules = parseLifecycleConfiguration(await readLifecycleDocument(c));
  await putLifecycle(deps.db, bucket, rules, deps.clock.now());
  op.info = { rules: rules.length, enabled: rules.filter((r) => r.enabled).length };
  return empty(c, 200);
}

export async function getBucketLifecycleHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const rules = await getLifecycle(deps.db, await findBucket(deps.db, customer.customerId, bucketName));
  if (!rules) throw s3Error("NoSuchLifecycleConfiguration", undefined, { resource: bucketName });
  return xml(c, { LifecycleConfiguration: { "@_xmlns": S3_XMLNS, Rule: rules.map(ruleXml) } });
}

export async function deleteBucketLifecycleHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const removed = await deleteLifecycle(deps.db, await findBucket(deps.db, customer.customerId, bucketName));
  op.info = { removed };
  return empty(c, 204);
}
