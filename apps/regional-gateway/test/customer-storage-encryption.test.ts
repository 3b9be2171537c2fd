import { randomBytes } from "node:crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, type CapturedGateway, startBackend, startCapturedRegion } from "./customer-storage-helpers.ts";
import { adminAuth, registerWithBuckets } from "./harness.ts";

// A customer-owned bucket gets the gateway's encryption like hosted storage, unless its owner
// opts out because the bucket encrypts by itself (bucket_sse); then only what a client asks to
// be encrypted is sealed.
const json = { "content-type": "application/json" };
let backend: Backend;
let gw: CapturedGateway;
let sql: postgres.Sql;

const putStorage = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/api/customers/enc-byob/storage`, { method: "PUT", headers: { ...json, ...adminAuth }, body: JSON.stringify(body) });
const config = (extra: Record<string, unknown> = {}) => ({
  provider_label: "aws", endpoint: backend.url, region: "eu-central-1", bucket: "own-vault",
  access_key_id: backend.key.access_key_id, secret_access_key: backend.key.secret_access_key, path_prefix: "gw", activate: true, ...extra,
});
const s3 = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${gw.url}/s3${path}`, { ...init, headers: { "x-customer-id": "enc-byob", ...(init.headers ?? {}) } });
/** The object's bytes as the customer's bucket holds them (read with the bucket's own S3 API). */
async function inBucket(key: string): Promise<Buffer> {
  const [row] = await sql`select storage_key from object_metadata where customer_id = 'enc-byob' and object_key = ${key}`;
  const res = await backend.sdk.send(new GetObjectCommand({ Bucket: "own-vault", Key: `gw/${row!.storage_key as string}` }));
  return Buffer.from(await res.Body!.transformToByteArray());
}
const marked = () => Buffer.concat([Buffer.from("PERSONAL-DATA-MARKER "), randomBytes(3000)]);

beforeAll(async () => {
  backend = await startBackend(["own-vault"]);
  gw = await startCapturedRegion("FI-HEL");
  sql = postgresClient(gw.databaseUrl, { max: 1 });
  await registerWithBuckets(gw.url, "enc-byob", ["docs"], { data_residency_requirement: "jurisdiction" });
});
afterAll(async () => {
  await sql?.end();
  await gw?.destroy();
  backend?.sdk.destroy();
  await backend?.region.destroy();
});

describe("encryption of a customer-owned bucket", () => {
  it("seals what the gateway stores there by default: the bucket never holds the plaintext", async () => {
    expect((await putStorage(config())).status).toBe(200);
    const body = marked();
    const put = await s3("/docs/sealed.bin", { method: "PUT", body });
    expect(put.status).toBe(200);
    expect(put.headers.get("x-amz-server-side-encryption")).toBe("AES256");
    const stored = await inBucket("sealed.bin");
    expect(stored.includes("PERSONAL-DATA-MARKER")).toBe(false);
    expect(stored.length).toBeGreaterThan(body.length);
    expect(Buffer.from(await (await s3("/docs/sealed.bin")).arrayBuffer()).equals(body)).toBe(true);
  });

  it("refuses opting out unless the bucket is asked to encrypt (bucket_sse)", async () => {
    const res = await putStorage(config({ gateway_encryption: false }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/bucket_sse/);
  });

  it("opted out with bucket_sse: a new target, plaintext in the bucket, explicit SSE still sealed, older objects still read", async () => {
    const res = await putStorage(config({ gateway_encryption: false, bucket_sse: "AES256" }));
    expect(res.status).toBe(200);
    const view = (await res.json()) as { target_id: string; target: Record<string, unknown> };
    expect(view.target).toMatchObject({ bucket_sse: "AES256", gateway_encryption: false });
    const [audit] = await sql`select compliance_info from operations_log where operation_type = 'PutCustomerStorage' order by id desc limit 1`;
    expect(JSON.stringify(audit!.compliance_info)).toMatch(/gateway_encryption/);

    const body = marked();
    const put = await s3("/docs/plain.bin", { method: "PUT", body });
    expect(put.status).toBe(200);
    expect(put.headers.get("x-amz-server-side-encryption")).toBeNull();
    expect((await inBucket("plain.bin")).equals(body)).toBe(true);
    const [row] = await sql`select encryption, storage_provider_id from object_metadata where object_key = 'plain.bin'`;
    expect(row).toMatchObject({ encryption: null, storage_provider_id: view.target_id });

    // A client that asks for encryption gets it on any bucket.
    const asked = marked();
    const sealedPut = await s3("/docs/asked.bin", { method: "PUT", body: asked, headers: { "x-amz-server-side-encryption": "AES256" } });
    expect(sealedPut.status).toBe(200);
    expect((await inBucket("asked.bin")).includes("PERSONAL-DATA-MARKER")).toBe(false);
    expect(Buffer.from(await (await s3("/docs/asked.bin")).arrayBuffer()).equals(asked)).toBe(true);

    // Objects of the earlier (sealed) target keep their target and their encryption.
    const earlier = await s3("/docs/sealed.bin");
    expect(earlier.status).toBe(200);
    expect(earlier.headers.get("x-amz-server-side-encryption")).toBe("AES256");
  });
});
