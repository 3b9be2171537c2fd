import { DeleteObjectCommand, GetObjectLegalHoldCommand, GetObjectRetentionCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, filesUnder, startBackend } from "./customer-storage-helpers.ts";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { migrate } from "./storage-migration-helpers.ts";

// Legal holds and retention travel with an object: onto a customer bucket that enforces object
// lock they are set on the bucket itself (PutObjectLegalHold / PutObjectRetention), so the
// customer's own credentials cannot delete what the gateway must keep. The backend is a second
// real regional gateway, whose S3 API implements both.
let backend: Backend;
let gw: TestRegion;
let sql: postgres.Sql;
let targetId: string;
const until = new Date(Date.now() + 2 * 86_400_000);

beforeAll(async () => {
  backend = await startBackend(["keeper-vault"], { objectLock: true });
  gw = await startTestRegion("FI-HEL");
  sql = postgresClient(gw.databaseUrl, { max: 1 });
  await registerWithBuckets(gw.url, "keeper", [], { data_residency_requirement: "jurisdiction" });
  const c = s3(gw.url, "keeper");
  // S3 object lock exists only in buckets created with it.
  expect((await c("/records", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
  for (const k of ["held.txt", "retained.txt", "plain.txt"]) expect((await c(`/records/${k}`, { method: "PUT", body: `body of ${k}` })).status).toBe(200);
  expect((await c("/records/held.txt?legal-hold", { method: "PUT", body: "<LegalHold><Status>ON</Status></LegalHold>" })).status).toBe(200);
  const retention = `<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>${until.toISOString()}</RetainUntilDate></Retention>`;
  expect((await c("/records/retained.txt?retention", { method: "PUT", body: retention })).status).toBe(200);
  // Configured but not active: the target exists, new writes still go to hosted storage.
  const res = await fetch(`${gw.url}/api/customers/keeper/storage`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({
      provider_label: "aws", endpoint: backend.url, region: "eu-central-1", bucket: "keeper-vault", path_prefix: "gw",
      access_key_id: backend.key.access_key_id, secret_access_key: backend.key.secret_access_key,
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  targetId = ((await res.json()) as { target_id: string }).target_id;
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await gw?.destroy();
  backend?.sdk.destroy();
  await backend?.region.destroy();
});

const backendKey = async (key: string) => `gw/${(await sql`select storage_key from object_metadata where object_key = ${key}`)[0]!.storage_key}`;

describe("migration keeps protection", () => {
  it("sets the legal hold and COMPLIANCE retention on a lock-enforcing customer bucket", async () => {
    const run = await migrate(gw.url, { customer_id: "keeper", from_target: "fi-hel-fs", to_target: targetId });
    expect(run).toMatchObject({ status: "completed", total: 3, migrated: 3, skipped: 0, failed: 0 });
    expect(await filesUnder(`${gw.storageDir}/tenant-keeper`)).toEqual([]);

    const Bucket = "keeper-vault";
    const held = await backend.sdk.send(new GetObjectLegalHoldCommand({ Bucket, Key: await backendKey("held.txt") }));
    expect(held.LegalHold?.Status).toBe("ON");
    const retained = await backend.sdk.send(new GetObjectRetentionCommand({ Bucket, Key: await backendKey("retained.txt") }));
    expect(retained.Retention?.Mode).toBe("COMPLIANCE");
    expect(retained.Retention?.RetainUntilDate?.toISOString()).toBe(until.toISOString());
    await expect(backend.sdk.send(new GetObjectLegalHoldCommand({ Bucket, Key: await backendKey("plain.txt") }))).rejects.toThrow();
    // The bucket owner's own credentials cannot remove the protected copies (a versioned lock bucket: only a delete by version destroys).
    for (const k of ["held.txt", "retained.txt"]) {
      const { VersionId } = await backend.sdk.send(new HeadObjectCommand({ Bucket, Key: await backendKey(k) }));
      await expect(backend.sdk.send(new DeleteObjectCommand({ Bucket, Key: await backendKey(k), VersionId }))).rejects.toMatchObject({ name: "AccessDenied" });
    }
    // Only the three objects are there: the lock probe cleaned up after itself.
    expect((await backend.keys(Bucket)).sort()).toEqual((await Promise.all(["held.txt", "plain.txt", "retained.txt"].map(backendKey))).sort());

    for (const k of ["held.txt", "retained.txt", "plain.txt"]) expect(await (await s3(gw.url, "keeper")(`/records/${k}`)).text()).toBe(`body of ${k}`);
    const audit = await sql`select object_key, compliance_info->>'protection' as p from operations_log where operation_type = 'StorageMigration' order by object_key`;
    expect(audit.map((r) => [r.object_key, r.p])).toEqual([["held.txt", "bucket"], ["plain.txt", "none"], ["retained.txt", "bucket"]]);
  });

  it("moving back home releases the held copy; a COMPLIANCE-retained copy stays and is recorded", async () => {
    const run = await migrate(gw.url, { customer_id: "keeper", from_target: targetId, to_target: "fi-hel-fs" });
    expect(run).toMatchObject({ status: "completed", migrated: 3, failed: 0 });
    const left = await backend.keys("keeper-vault");
    expect(left).toHaveLength(1);
    const [item] = await sql`select source_key, source_left from storage_migration_items where migration_id = ${run.migration_id} and source_left is not null`;
    expect(`gw/${item!.source_key}`).toBe(left[0]);
    for (const k of ["held.txt", "retained.txt", "plain.txt"]) expect(await (await s3(gw.url, "keeper")(`/records/${k}`)).text()).toBe(`body of ${k}`);
    // Protection is the gateway's again, from the metadata row.
    const version = (await s3(gw.url, "keeper")("/records/held.txt", { method: "HEAD" })).headers.get("x-amz-version-id");
    expect((await s3(gw.url, "keeper")(`/records/held.txt?versionId=${version}`, { method: "DELETE" })).status).toBe(403);
  });
});
