import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { expect } from "vitest";
import type { RegionalConfig } from "../src/config.ts";
import { s3, startTestRegion, type TestRegion } from "./harness.ts";
import { completeXml, xmlValue } from "./s3-write-helpers.ts";

// Shared by the encryption-at-rest suites (encryption-at-rest, encryption-tampering,
// encryption-keys): known plaintext to look for on disk, and the rows that say how a blob is sealed.
export const SEG = 256 * 1024;
export const SEALED_SEG = SEG + 16;
export const MIB = 1024 * 1024;
/** Fresh per test process, so no file from an earlier run can match. */
export const MARKER = Buffer.from(`PLAINTEXT-MARKER-${randomUUID()}|`);
/** The marker's first 32 bytes as text: what a response body must never contain. */
export const MARKER_TEXT = MARKER.subarray(0, 32).toString();
/** `size` bytes of the marker repeated: any plaintext run on disk longer than the marker would show it. */
export const marked = (size: number) => Buffer.alloc(size, MARKER);
/** Bytes whose every offset is distinguishable (a shifted or swapped range would not compare equal). */
export function patterned(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32BE(i >>> 0, i);
  return b;
}
export const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const s3Code = async (res: Response) => [res.status, xmlValue(await res.text(), "Code")];

/** SSE-C request headers for a 32-byte client key. */
export function sseCHeaders(key: Buffer): Record<string, string> {
  return {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": key.toString("base64"),
    "x-amz-server-side-encryption-customer-key-md5": createHash("md5").update(key).digest("base64"),
  };
}

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
/** Every file under `dir` that holds the marker (or a 32-byte piece of it) in clear. */
export async function plaintextFiles(dir: string): Promise<string[]> {
  const probe = MARKER.subarray(0, 32);
  const hits: string[] = [];
  for (const f of await filesUnder(dir)) if ((await readFile(f)).includes(probe)) hits.push(f);
  return hits;
}

/** `headers` go on CreateMultipartUpload; `partHeaders` on every UploadPart (SSE-C needs its key on each). */
export async function multipartUpload(client: ReturnType<typeof s3>, path: string, parts: Buffer[], headers: Record<string, string> = {}, partHeaders: Record<string, string> = {}) {
  const created = await client(`${path}?uploads`, { method: "POST", headers });
  expect(created.status).toBe(200);
  const uploadId = xmlValue(await created.text(), "UploadId")!;
  const etags: { n: number; etag: string }[] = [];
  for (const [i, body] of parts.entries()) {
    const res = await client(`${path}?partNumber=${i + 1}&uploadId=${uploadId}`, { method: "PUT", body, headers: partHeaders });
    expect(res.status).toBe(200);
    etags.push({ n: i + 1, etag: res.headers.get("etag")! });
  }
  return { uploadId, complete: () => client(`${path}?uploadId=${uploadId}`, { method: "POST", body: completeXml(etags) }) };
}

/** A test region with a database connection and the queries the suites read sealing from. */
export interface SealedRegion {
  fi: TestRegion;
  sql: postgres.Sql;
  /** The file of an object stored whole (its latest version). */
  blobPath(customer: string, key: string): Promise<string>;
  /** The integrity_mismatch events of an object. */
  events(customer: string, key: string): Promise<postgres.RowList<postgres.Row[]>>;
  /** The latest version's key id (k), data-key version (v) and wrapped data key (w). */
  keyVersionOf(customer: string, key: string): Promise<postgres.Row>;
  stop(): Promise<void>;
}

export async function startSealedRegion(overrides: Partial<RegionalConfig> = {}): Promise<SealedRegion> {
  const fi = await startTestRegion("FI-HEL", overrides);
  const sql = postgresClient(fi.databaseUrl, { max: 1 });
  return {
    fi,
    sql,
    blobPath: async (customer, key) => {
      const [row] = await sql`select storage_key from object_metadata where customer_id = ${customer} and object_key = ${key} and is_latest`;
      return join(fi.storageDir, row!.storage_key as string);
    },
    events: (customer, key) => sql`select severity, details from compliance_events where event_type = 'integrity_mismatch' and customer_id = ${customer} and object_key = ${key}`,
    keyVersionOf: async (customer, key) =>
      (await sql`select encryption->'dataKey'->>'keyVersion' as v, encryption->'dataKey'->>'wrapped' as w, encryption->>'keyId' as k from object_metadata where customer_id = ${customer} and object_key = ${key} and is_latest`)[0]!,
    stop: async () => {
      await sql.end();
      await fi.destroy();
    },
  };
}
