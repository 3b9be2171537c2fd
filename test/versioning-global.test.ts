import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CopyObjectCommand, CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectVersionsCommand,
  PutBucketVersioningCommand, PutObjectCommand, S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { CLIENT_BINARIES, clientAvailable, runClient, type Credentials } from "./support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

// Versioning and object lock end to end through the global endpoint: boto3 for the lock
// rules (bypass by key permission included), the AWS SDK for listing, copying and batches.
const HERE = fileURLToPath(new URL(".", import.meta.url));
let stack: TestStack;
let plainKey: Credentials;
let bypassKey: Credentials;
let sdk: S3Client;

async function accessKey(customer: string, body: Record<string, unknown>): Promise<Credentials> {
  const res = await fetch(`${stack.regions["FI-HEL"].url}/api/customers/${customer}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`access key: ${res.status} ${await res.text()}`);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
}

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "vers-co", "FI-HEL", { customer_name: "Vers Co", country: "FI", data_residency_requirement: "strict" });
  await onboard(stack, "other-co", "FI-HEL", { customer_name: "Other Co", country: "FI", data_residency_requirement: "strict" });
  plainKey = await accessKey("vers-co", { description: "app" });
  bypassKey = await accessKey("vers-co", { description: "records admin", bypass_governance: true });
  sdk = new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: plainKey });
}, 120_000);
afterAll(async () => {
  sdk?.destroy();
  await stack?.close();
});

describe("versioning through the global endpoint", () => {
  it.skipIf(!clientAvailable("boto3"))("boto3: object lock rules, governance bypass by key permission, COMPLIANCE downgrade refused", async () => {
    const out = await runClient(CLIENT_BINARIES.boto3, [
      join(HERE, "clients", "boto3_versioning.py"), stack.global.url, plainKey.accessKeyId, plainKey.secretAccessKey, bypassKey.accessKeyId, bypassKey.secretAccessKey, "boto",
    ]);
    const r = JSON.parse(out) as Record<string, unknown>;
    expect(r).toMatchObject({
      versioning: "Enabled",
      lock_config: { ObjectLockEnabled: "Enabled" },
      suspend: "InvalidBucketState",
      versions_distinct: true,
      v1_body: "first",
      listed: [[true, true], [false, false]],
      retention_mode: "GOVERNANCE",
      delete_governed: "AccessDenied",
      bypass_without_permission: "AccessDenied",
      bypass_with_permission: null,
      head_lock: ["COMPLIANCE", "OFF"],
      downgrade: "AccessDenied",
      delete_compliance: "AccessDenied",
      marker: true,
      get_after_marker: "NoSuchKey",
      old_version_still_readable: "proof",
      hold_on_plain: "InvalidRequest",
      lock_headers_on_plain: "InvalidRequest",
      no_such_version: "NoSuchVersion",
    });
  }, 60_000);

  it.skipIf(!clientAvailable("aws cli"))("aws cli: lock bucket, versions, a marker, a held version that only the delete by id protects", async () => {
    const dir = await mkdtemp(join(tmpdir(), "s3gw-awscli-"));
    try {
      const config = join(dir, "aws-config");
      await writeFile(config, "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
      await writeFile(join(dir, "body.txt"), "cli body");
      const env = { AWS_ACCESS_KEY_ID: plainKey.accessKeyId, AWS_SECRET_ACCESS_KEY: plainKey.secretAccessKey, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "" };
      const aws = async (...args: string[]) => JSON.parse((await runClient(CLIENT_BINARIES["aws cli"], ["--endpoint-url", stack.global.url, "--output", "json", ...args], env, dir)) || "{}");
      await aws("s3api", "create-bucket", "--bucket", "cli-lock", "--object-lock-enabled-for-bucket");
      expect(await aws("s3api", "get-bucket-versioning", "--bucket", "cli-lock")).toMatchObject({ Status: "Enabled" });
      const v1 = (await aws("s3api", "put-object", "--bucket", "cli-lock", "--key", "f.txt", "--body", "body.txt")).VersionId as string;
      await aws("s3api", "put-object", "--bucket", "cli-lock", "--key", "f.txt", "--body", "body.txt");
      await aws("s3api", "put-object-legal-hold", "--bucket", "cli-lock", "--key", "f.txt", "--version-id", v1, "--legal-hold", "Status=ON");
      expect(await aws("s3api", "delete-object", "--bucket", "cli-lock", "--key", "f.txt")).toMatchObject({ DeleteMarker: true });
      const listed = await aws("s3api", "list-object-versions", "--bucket", "cli-lock");
      expect(listed.Versions).toHaveLength(2);
      expect(listed.DeleteMarkers).toEqual([expect.objectContaining({ Key: "f.txt", IsLatest: true })]);
      await expect(aws("s3api", "delete-object", "--bucket", "cli-lock", "--key", "f.txt", "--version-id", v1)).rejects.toThrow(/AccessDenied/);
      expect(await aws("s3api", "get-object-legal-hold", "--bucket", "cli-lock", "--key", "f.txt", "--version-id", v1)).toMatchObject({ LegalHold: { Status: "ON" } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("AWS SDK: pages versions with markers, copies a version, deletes versions in a batch", async () => {
    await sdk.send(new CreateBucketCommand({ Bucket: "sdk-ver" }));
    await sdk.send(new PutBucketVersioningCommand({ Bucket: "sdk-ver", VersioningConfiguration: { Status: "Enabled" } }));
    const ids: string[] = [];
    for (const body of ["a", "b", "c"]) ids.push((await sdk.send(new PutObjectCommand({ Bucket: "sdk-ver", Key: "k", Body: body }))).VersionId!);
    await sdk.send(new PutObjectCommand({ Bucket: "sdk-ver", Key: "other", Body: "o" }));

    const seen: string[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (let i = 0; i < 10; i++) {
      const page = await sdk.send(new ListObjectVersionsCommand({ Bucket: "sdk-ver", MaxKeys: 2, ...markers }));
      seen.push(...(page.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`));
      if (!page.IsTruncated) break;
      markers = { KeyMarker: page.NextKeyMarker!, VersionIdMarker: page.NextVersionIdMarker! };
    }
    expect(seen.slice(0, 3)).toEqual([...ids].reverse().map((v) => `k@${v}`));
    expect(seen).toHaveLength(4);

    const copy = await sdk.send(new CopyObjectCommand({ Bucket: "sdk-ver", Key: "restored", CopySource: `sdk-ver/k?versionId=${ids[0]}` }));
    expect(copy.CopySourceVersionId).toBe(ids[0]);
    expect(await (await sdk.send(new GetObjectCommand({ Bucket: "sdk-ver", Key: "restored" }))).Body!.transformToString()).toBe("a");

    const batch = await sdk.send(new DeleteObjectsCommand({ Bucket: "sdk-ver", Delete: { Objects: [{ Key: "k", VersionId: ids[1] }, { Key: "other" }] } }));
    expect(batch.Deleted).toEqual(expect.arrayContaining([
      expect.objectContaining({ Key: "k", VersionId: ids[1] }),
      expect.objectContaining({ Key: "other", DeleteMarker: true, DeleteMarkerVersionId: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) }),
    ]));
    const after = await sdk.send(new ListObjectVersionsCommand({ Bucket: "sdk-ver", Prefix: "k" }));
    expect((after.Versions ?? []).map((v) => v.VersionId)).toEqual([ids[2], ids[0]]);
  });

  it("another customer never reaches a version by its id, through the router", async () => {
    const [v] = [(await sdk.send(new PutObjectCommand({ Bucket: "sdk-ver", Key: "private", Body: "vers-co only" }))).VersionId!];
    const stranger = new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: await accessKey("other-co", { description: "x" }) });
    await stranger.send(new CreateBucketCommand({ Bucket: "sdk-ver" }));
    await expect(stranger.send(new GetObjectCommand({ Bucket: "sdk-ver", Key: "private", VersionId: v }))).rejects.toMatchObject({ name: "NoSuchVersion" });
    const theirs = await stranger.send(new ListObjectVersionsCommand({ Bucket: "sdk-ver" }));
    expect(theirs.Versions ?? []).toEqual([]);
    stranger.destroy();
  });
});
