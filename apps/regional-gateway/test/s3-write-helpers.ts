import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

const ENTITIES: Record<string, string> = { "&quot;": '"', "&amp;": "&", "&lt;": "<", "&gt;": ">", "&apos;": "'" };
const unescape = (s: string) => s.replace(/&(quot|amp|lt|gt|apos);/g, (e) => ENTITIES[e]!);

/** Every text of `<tag>` in an S3 XML answer, unescaped, in document order. */
export function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => unescape(m[1]!));
}

/** The single text of `<tag>`, or undefined. */
export function xmlValue(xml: string, tag: string): string | undefined {
  return xmlValues(xml, tag)[0];
}

/** Every `<tag>…</tag>` block (for repeated elements such as Part, Upload, Error). */
export function xmlBlocks(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1]!);
}

export const md5Hex = (b: Buffer | string) => createHash("md5").update(b).digest("hex");
export const md5B64 = (b: Buffer | string) => createHash("md5").update(b).digest("base64");
export const sha256B64 = (b: Buffer | string) => createHash("sha256").update(b).digest("base64");

/** The bytes a customer holds in storage: blob files under its tenant prefix (temp files excluded). */
export async function tenantBlobCount(storageDir: string, customerId: string): Promise<number> {
  const entries = await readdir(join(storageDir, `tenant-${customerId}`), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}

export function completeXml(parts: { n: number; etag: string }[]): string {
  return `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
}

export function taggingXml(tags: [string, string][]): string {
  return `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join("")}</TagSet></Tagging>`;
}

export const legalHoldXml = (status: "ON" | "OFF") => `<LegalHold><Status>${status}</Status></LegalHold>`;
