import { createHash } from "node:crypto";
import { parseXml, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { requestBody } from "./body.ts";
import { parseContentMd5 } from "./object-headers.ts";

/**
 * The shared XML parser trims text and leaves numeric character references (`&#x0A;`, which
 * SDKs use for newlines in keys) undecoded. Object keys and tag values must be taken exactly
 * as sent, since acting on an altered key could delete the wrong object, so these leaves
 * are re-read from the source and decoded here.
 */
const EXACT_LEAVES = ["Key", "Value", "Prefix"] as const;

const XML_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeXmlText(raw: string): string {
  return raw.replace(/\r\n?/g, "\n").replace(/&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot|apos));/g, (_, hex: string, dec: string, name: string) =>
    name ? XML_ENTITIES[name]! : String.fromCodePoint(hex ? parseInt(hex, 16) : Number(dec)),
  );
}

/** A setter for every string leaf named `name`, in document order (repeated elements are arrays in that order). */
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

/** Replaces the parsed Key/Value leaves by their exact text; refuses a document where they cannot be matched up (CDATA, comments). */
function restoreExactLeaves(doc: Record<string, unknown>, source: string): void {
  for (const name of EXACT_LEAVES) {
    const raw = [...source.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}\\s*>|<${name}\\s*/>`, "g"))].map((m) => m[1] ?? "");
    const parsed = leaves(doc, name);
    if (raw.length !== parsed.length) throw s3Error("NotImplemented", `${name} elements with CDATA sections or comments are not supported`);
    parsed.forEach((set, i) => set(decodeXmlText(raw[i]!)));
  }
}

/**
 * Reads and parses the XML document of a request (CompleteMultipartUpload, DeleteObjects,
 * PutObjectTagging, PutBucketLifecycleConfiguration, Object Lock), refusing documents over the
 * operation's limit. The payload hash (or aws-chunked signatures) and Content-MD5 are checked.
 */
export async function readXmlDocument(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const spec = c.var.s3Operation.body;
  if (spec.kind !== "xml") throw new Error(`${c.var.s3Operation.name} has no XML body in the operation table`);
  const maxBytes = spec.maxBytes;
  const body = requestBody(c);
  const contentMd5 = parseContentMd5(c.req.header("content-md5"));
  if (body.size !== undefined && body.size > maxBytes) throw s3Error("MalformedXML", `The XML document exceeds ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw s3Error("MalformedXML", `The XML document exceeds ${maxBytes} bytes`);
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
  try {
    restoreExactLeaves(doc, source);
  } catch (err) {
    throw err instanceof RangeError ? s3Error("MalformedXML", "Invalid character reference") : err;
  }
  return doc;
}

/** A repeated element as a list: absent or whitespace-only → [], one → [it], many → them. */
export function elements(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
  return typeof value === "object" && value !== null ? [value as Record<string, unknown>] : [];
}

/** An element's text; undefined if absent or not text. */
export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
