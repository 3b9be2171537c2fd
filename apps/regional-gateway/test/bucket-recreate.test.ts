import {
  CreateBucketCommand, GetBucketVersioningCommand, GetObjectLockConfigurationCommand, ListObjectsV2Command, PutBucketVersioningCommand, PutObjectCommand, S3Client, S3ServiceException,
} from "@aws-sdk/client-s3";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// Re-creating one's own bucket: 200 without a named location (AWS us-east-1's legacy answer),
// 409 BucketAlreadyOwnedByYou when the region is named (AWS's other regions); never a change.
let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let other: ReturnType<typeof s3>;
let sdk: S3Client;
let creds: { accessKeyId: string; secretAccessKey: string };

const config = (constraint: string) => `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${constraint}</LocationConstraint></CreateBucketConfiguration>`;

async function create(client: ReturnType<typeof s3>, bucket: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const res = await client(`/${bucket}`, { method: "PUT", ...init });
  const text = await res.text();
  return { status: res.status, code: xmlValue(text, "Code") };
}

const keysOf = async (bucket: string) => ((await sdk.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", []);
  other = await registerWithBuckets(fi.url, "other-corp", []);
  const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  expect(res.status).toBe(201);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  creds = { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
  sdk = new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: creds });
});
afterAll(async () => {
  sdk?.destroy();
  await sql?.end();
  await fi?.destroy();
});

describe("re-creating an own bucket", () => {
  it("without a location: 200, objects, versioning and the bucket row unchanged, audited as already owned", async () => {
    await sdk.send(new CreateBucketCommand({ Bucket: "kept" }));
    await sdk.send(new PutBucketVersioningCommand({ Bucket: "kept", VersioningConfiguration: { Status: "Enabled" } }));
    for (const key of ["my_key1", "my_key2"]) await sdk.send(new PutObjectCommand({ Bucket: "kept", Key: key, Body: key }));
    const [before] = await sql`select bucket_id, created_at, versioning, object_lock_enabled from buckets where customer_id = 'acme-corp' and bucket_name = 'kept'`;

    const again = await sdk.send(new CreateBucketCommand({ Bucket: "kept" }));
    expect(again.$metadata.httpStatusCode).toBe(200);
    expect(again.Location).toBe("/kept");
    // An empty configuration, an empty constraint and an owner-only canned ACL name nothing new either.
    expect(await create(acme, "kept", { body: "<CreateBucketConfiguration/>" })).toEqual({ status: 200, code: undefined });
    expect(await create(acme, "kept", { body: config("") })).toEqual({ status: 200, code: undefined });
    expect(await create(acme, "kept", { headers: { "x-amz-acl": "private" } })).toEqual({ status: 200, code: undefined });

    expect(await keysOf("kept")).toEqual(["my_key1", "my_key2"]);
    expect((await sdk.send(new GetBucketVersioningCommand({ Bucket: "kept" }))).Status).toBe("Enabled");
    const after = await sql`select bucket_id, created_at, versioning, object_lock_enabled from buckets where customer_id = 'acme-corp' and bucket_name = 'kept'`;
    expect(after).toEqual([before]);

    const audited = await sql`select status_code, compliance_info from operations_log
      where customer_id = 'acme-corp' and operation_type = 'CreateBucket' and bucket_name = 'kept' order by id`;
    expect(audited.map((r) => [r.status_code, r.compliance_info.already_owned ?? false])).toEqual([[200, false], [200, true], [200, true], [200, true], [200, true]]);
  });

  it("naming the bucket's own region stays 409 BucketAlreadyOwnedByYou, as AWS outside us-east-1", async () => {
    await sdk.send(new CreateBucketCommand({ Bucket: "named" }));
    await sdk.send(new PutObjectCommand({ Bucket: "named", Key: "a", Body: "a" }));
    for (const constraint of ["FI-HEL", "fi-hel"]) {
      expect(await create(acme, "named", { body: config(constraint) }), constraint).toEqual({ status: 409, code: "BucketAlreadyOwnedByYou" });
    }
    const err = await sdk.send(new CreateBucketCommand({ Bucket: "named", CreateBucketConfiguration: { LocationConstraint: "FI-HEL" as never } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3ServiceException);
    expect([(err as S3ServiceException).name, (err as S3ServiceException).$metadata.httpStatusCode]).toEqual(["BucketAlreadyOwnedByYou", 409]);
    // Another region is still refused as before, and does not reveal or touch the bucket.
    expect(await create(acme, "named", { body: config("eu-central-1") })).toMatchObject({ status: 403, code: "DataResidencyViolation" });
    expect(await keysOf("named")).toEqual(["a"]);
  });

  it("object lock: asking for it on a bucket without it is 409 (a 200 would claim it was turned on); on a lock bucket it is 200", async () => {
    await sdk.send(new CreateBucketCommand({ Bucket: "plain" }));
    expect(await create(acme, "plain", { headers: { "x-amz-bucket-object-lock-enabled": "true" } })).toEqual({ status: 409, code: "BucketAlreadyOwnedByYou" });
    const [row] = await sql`select object_lock_enabled, versioning from buckets where customer_id = 'acme-corp' and bucket_name = 'plain'`;
    expect(row).toEqual({ object_lock_enabled: false, versioning: null });

    await sdk.send(new CreateBucketCommand({ Bucket: "locked", ObjectLockEnabledForBucket: true }));
    expect(await create(acme, "locked", { headers: { "x-amz-bucket-object-lock-enabled": "true" } })).toEqual({ status: 200, code: undefined });
    // A re-create without the header does not turn lock off.
    expect(await create(acme, "locked")).toEqual({ status: 200, code: undefined });
    expect((await sdk.send(new GetObjectLockConfigurationCommand({ Bucket: "locked" }))).ObjectLockConfiguration?.ObjectLockEnabled).toBe("Enabled");
    // Bad header values are refused before anything is looked at.
    expect(await create(acme, "locked", { headers: { "x-amz-bucket-object-lock-enabled": "maybe" } })).toMatchObject({ status: 400, code: "InvalidArgument" });
  });

  it("another customer's bucket of the same name is neither seen nor touched", async () => {
    await sdk.send(new CreateBucketCommand({ Bucket: "shared-name" }));
    await sdk.send(new PutObjectCommand({ Bucket: "shared-name", Key: "acme-only", Body: "secret" }));
    // other-corp creates its own bucket (not a re-create of acme's), and re-creates it like its own.
    expect(await create(other, "shared-name")).toEqual({ status: 200, code: undefined });
    expect(await create(other, "shared-name")).toEqual({ status: 200, code: undefined });
    expect(await (await other("/shared-name?list-type=2")).text()).not.toContain("acme-only");
    expect(await keysOf("shared-name")).toEqual(["acme-only"]);
    const rows = await sql`select customer_id from buckets where bucket_name = 'shared-name' order by customer_id`;
    expect(rows.map((r) => r.customer_id)).toEqual(["acme-corp", "other-corp"]);
    const audited = await sql`select compliance_info from operations_log where customer_id = 'other-corp' and operation_type = 'CreateBucket' order by id`;
    expect(audited.map((r) => r.compliance_info.already_owned ?? false)).toEqual([false, true]);
  });

  it("a re-create racing a DeleteBucket answers 200 and leaves one bucket or none, never an error", async () => {
    for (let round = 0; round < 10; round++) {
      const bucket = `flip-${round}`;
      expect((await create(acme, bucket)).status).toBe(200);
      const racing = Array.from({ length: 4 }, () => create(acme, bucket));
      await new Promise((r) => setTimeout(r, (round % 3) * 3));
      const del = acme(`/${bucket}`, { method: "DELETE" }).then(async (r) => (await r.text(), r.status));
      const statuses = (await Promise.all(racing)).map((r) => r.status);
      expect(statuses, `round ${round}`).toEqual([200, 200, 200, 200]);
      expect([204, 404], `round ${round} delete`).toContain(await del);
      const rows = await sql`select 1 from buckets where customer_id = 'acme-corp' and bucket_name = ${bucket}`;
      expect(rows.length).toBeLessThanOrEqual(1);
      const head = (await acme(`/${bucket}`, { method: "HEAD" })).status;
      expect(head).toBe(rows.length === 1 ? 200 : 404);
      // Whatever the race left, a create afterwards makes the bucket exist.
      expect((await create(acme, bucket)).status).toBe(200);
      expect((await acme(`/${bucket}`, { method: "HEAD" })).status).toBe(200);
    }
  });

  it.skipIf(spawnSync("python3", ["-c", "import boto3"]).status !== 0)("boto3: create_bucket twice succeeds and keeps the objects (test_bucket_create_exists, test_bucket_recreate_not_overriding)", async () => {
    const script = [
      "import boto3, json, sys",
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name='us-east-1')",
      "s3.create_bucket(Bucket='boto-twice')",
      "for k in ['my_key1', 'my_key2']: s3.put_object(Bucket='boto-twice', Key=k, Body=k)",
      "second = s3.create_bucket(Bucket='boto-twice')['ResponseMetadata']['HTTPStatusCode']",
      "keys = [o['Key'] for o in s3.list_objects(Bucket='boto-twice')['Contents']]",
      "try:",
      "  s3.create_bucket(Bucket='boto-twice', CreateBucketConfiguration={'LocationConstraint': 'FI-HEL'})",
      "  named = None",
      "except s3.exceptions.BucketAlreadyOwnedByYou as e:",
      "  named = e.response['Error']['Code']",
      "print(json.dumps([second, keys, named]))",
    ].join("\n");
    const { stdout } = await promisify(execFile)("python3", ["-c", script, fi.url, creds.accessKeyId, creds.secretAccessKey], { encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual([200, ["my_key1", "my_key2"], "BucketAlreadyOwnedByYou"]);
  });
});
