import { DeleteBucketEncryptionCommand, DeleteBucketPolicyCommand, GetBucketEncryptionCommand, PutBucketEncryptionCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketDefaultEncryption } from "../src/services/objects/bucket-encryption.ts";
import { findBucket } from "../src/services/objects/buckets.ts";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { createAccessKey, s3Outcome, sdkClient, sdkFor } from "./sdk-client.ts";
import { xmlValue } from "./s3-write-helpers.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let sdk: S3Client;
let readOnly: S3Client;
let globexSdk: S3Client;

const config = (rule: string) => `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rule}</ServerSideEncryptionConfiguration>`;
const rule = (algorithm: string, extra = "", keyId?: string) =>
  `<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${algorithm}</SSEAlgorithm>${keyId === undefined ? "" : `<KMSMasterKeyID>${keyId}</KMSMasterKeyID>`}</ApplyServerSideEncryptionByDefault>${extra}</Rule>`;
const SSE_S3_DEFAULT = { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }] } };

async function refusal(res: Response) {
  const body = await res.text();
  return [res.status, xmlValue(body, "Code"), xmlValue(body, "Message")];
}
const getConfig = async (client: S3Client, Bucket: string) => ({ ServerSideEncryptionConfiguration: (await client.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration });

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["enc-a", "enc-b", "enc-bad", "enc-kms", "enc-pol", "shared-name"]);
  sdk = sdkClient(fi.url, await createAccessKey(fi.url, "acme-corp"));
  readOnly = sdkClient(fi.url, await createAccessKey(fi.url, "acme-corp", { permission: "read-only" }));
  globexSdk = await sdkFor(fi.url, "globex", ["shared-name", "globex-only"]);
});
afterAll(async () => {
  for (const c of [sdk, readOnly, globexSdk]) c?.destroy();
  await sql?.end();
  await fi?.destroy();
});

describe("PUT/GET/DELETE ?encryption", () => {
  it("answers SSE-S3 for a bucket never configured, round-trips a configuration with the SDK, and DELETE returns to SSE-S3", async () => {
    expect(await getConfig(sdk, "enc-a")).toEqual(SSE_S3_DEFAULT);
    await sdk.send(new PutBucketEncryptionCommand({
      Bucket: "enc-a",
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }] },
    }));
    expect(await getConfig(sdk, "enc-a")).toEqual({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }] } });
    await sdk.send(new PutBucketEncryptionCommand({ Bucket: "enc-a", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } }));
    expect(await getConfig(sdk, "enc-a")).toEqual(SSE_S3_DEFAULT);
    await sdk.send(new DeleteBucketEncryptionCommand({ Bucket: "enc-a" }));
    expect(await getConfig(sdk, "enc-a")).toEqual(SSE_S3_DEFAULT);
    // Deleting again still succeeds (204), as S3 answers.
    expect((await acme("/enc-a?encryption", { method: "DELETE" })).status).toBe(204);
  });

  it("stores one validated document in bucket_settings, audits every change, and the write path's default follows at once", async () => {
    const bucket = await findBucket(fi.deps, "acme-corp", "enc-b");
    expect(await bucketDefaultEncryption(fi.deps, bucket)).toEqual({ configured: false, mode: "AES256", bucketKeyEnabled: false, blocksSseC: false });
    const body = config(rule("aws:kms", "<BucketKeyEnabled>true</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>"));
    expect((await acme("/enc-b?encryption", { method: "PUT", body })).status).toBe(200);
    const rows = await sql`select s.kind, s.document from bucket_settings s join buckets b using (bucket_id) where b.bucket_name = 'enc-b' and b.customer_id = 'acme-corp'`;
    expect(rows.map((r) => [r.kind, r.document])).toEqual([["encryption", { algorithm: "aws:kms", bucketKeyEnabled: true, blockedEncryptionTypes: ["SSE-C"] }]]);
    expect(await bucketDefaultEncryption(fi.deps, bucket)).toEqual({ configured: true, mode: "aws:kms", bucketKeyEnabled: true, blocksSseC: true });
    const got = await (await acme("/enc-b?encryption")).text();
    expect(xmlValue(got, "EncryptionType")).toBe("SSE-C");
    // A rule without BlockedEncryptionTypes leaves the block as it was (as S3 does); NONE lifts it.
    expect((await acme("/enc-b?encryption", { method: "PUT", body: config(rule("AES256")) })).status).toBe(200);
    expect(await bucketDefaultEncryption(fi.deps, bucket)).toEqual({ configured: true, mode: "AES256", bucketKeyEnabled: false, blocksSseC: true });
    expect((await acme("/enc-b?encryption", { method: "PUT", body: config("<Rule><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule>") })).status).toBe(200);
    expect(await bucketDefaultEncryption(fi.deps, bucket)).toEqual({ configured: true, mode: "AES256", bucketKeyEnabled: false, blocksSseC: false });
    expect((await acme("/enc-b?encryption", { method: "DELETE" })).status).toBe(204);
    expect(await bucketDefaultEncryption(fi.deps, bucket)).toEqual({ configured: false, mode: "AES256", bucketKeyEnabled: false, blocksSseC: false });
    // Writes read the default through the bucket-settings cache: one query for a cold bucket, then none.
    let selects = 0;
    const counted = new Proxy(fi.deps.db, { get: (t, p) => (p === "select" && selects++, typeof Reflect.get(t, p) === "function" ? Reflect.get(t, p).bind(t) : Reflect.get(t, p)) });
    const cold = await findBucket(fi.deps, "acme-corp", "enc-pol");
    for (let i = 0; i < 50; i++) await bucketDefaultEncryption({ ...fi.deps, db: counted }, i % 2 ? bucket : cold);
    expect(selects).toBe(1);
    const ops = await sql`select operation_type, result from operations_log where bucket_name = 'enc-b' and operation_type in ('PutBucketEncryption', 'DeleteBucketEncryption') order by created_at`;
    expect(ops.map((o) => [o.operation_type, o.result])).toEqual([
      ["PutBucketEncryption", "success"], ["PutBucketEncryption", "success"], ["PutBucketEncryption", "success"], ["DeleteBucketEncryption", "success"],
    ]);
  });

  it("refuses what S3 refuses, with its codes, and stores nothing then", async () => {
    expect((await acme("/enc-bad?encryption", { method: "PUT", body: config(rule("aws:kms")) })).status).toBe(200);
    const kmsKeyNotApplicable = "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse";
    const cases: [string, string, number, string, string?][] = [
      ["not xml", "<ServerSideEncryptionConfiguration><Rule>", 400, "MalformedXML"],
      ["empty body", "", 400, "MalformedXML"],
      ["another root", "<EncryptionConfiguration><Rule/></EncryptionConfiguration>", 400, "MalformedXML"],
      ["no rule", config(""), 400, "MalformedXML"],
      ["two rules", config(rule("AES256") + rule("AES256")), 400, "MalformedXML"],
      ["no algorithm", config("<Rule><ApplyServerSideEncryptionByDefault></ApplyServerSideEncryptionByDefault></Rule>"), 400, "MalformedXML"],
      ["unknown algorithm", config(rule("AES512")), 400, "MalformedXML"],
      ["lower-case algorithm", config(rule("aes256")), 400, "MalformedXML"],
      ["dsse", config(rule("aws:kms:dsse")), 400, "InvalidArgument", "The encryption method specified is not supported"],
      ["key id with AES256", config(rule("AES256", "", "k-1")), 400, "InvalidArgument", kmsKeyNotApplicable],
      ["misspelt element", config("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithim>AES256</SSEAlgorithim></ApplyServerSideEncryptionByDefault></Rule>"), 400, "MalformedXML"],
      ["unknown rule child", config(rule("AES256", "<Filter/>")), 400, "MalformedXML"],
      ["bucket key not boolean", config(rule("aws:kms", "<BucketKeyEnabled>yes</BucketKeyEnabled>")), 400, "MalformedXML"],
      ["blocked type unknown", config(rule("AES256", "<BlockedEncryptionTypes><EncryptionType>SSE-KMS</EncryptionType></BlockedEncryptionTypes>")), 400, "MalformedXML"],
      ["blocked NONE and SSE-C", config(rule("AES256", "<BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>")), 400, "MalformedXML"],
      ["oversize", config(`${rule("AES256")}${" ".repeat(17_000)}`), 400, "MalformedXML"],
    ];
    for (const [name, body, status, code, message] of cases) {
      const [s, c, m] = await refusal(await acme("/enc-bad?encryption", { method: "PUT", body }));
      expect([name, s, c], name).toEqual([name, status, code]);
      if (message) expect(m, name).toBe(message);
    }
    // The earlier configuration is untouched by every refusal.
    expect(await getConfig(sdk, "enc-bad")).toEqual({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: false }] } });
    expect((await acme("/no-such-bucket?encryption")).status).toBe(404);
  });
});

describe("KMSMasterKeyID", () => {
  it("an unknown key is refused (KMS.NotFoundException), and nothing is stored", async () => {
    for (const keyId of ["no-such-key", "arn:aws:kms:fi-hel:acme-corp:key/no-such-key"]) {
      const [status, code] = await refusal(await acme("/enc-kms?encryption", { method: "PUT", body: config(rule("aws:kms", "", keyId)) }));
      expect([keyId, status, code]).toEqual([keyId, 400, "KMS.NotFoundException"]);
    }
    expect(await getConfig(sdk, "enc-kms")).toEqual(SSE_S3_DEFAULT);
  });

  it("the customer's own key is accepted, by id or ARN; another customer's key is refused exactly like an unknown one", async () => {
    const own = await fi.deps.keys.defaultKeyId("acme-corp");
    const foreign = await fi.deps.keys.defaultKeyId("globex");
    await sdk.send(new PutBucketEncryptionCommand({ Bucket: "enc-kms", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: own } }] } }));
    expect((await getConfig(sdk, "enc-kms")).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: "aws:kms", KMSMasterKeyID: own });
    expect(await bucketDefaultEncryption(fi.deps, await findBucket(fi.deps, "acme-corp", "enc-kms"))).toMatchObject({ mode: "aws:kms", keyId: own });
    const ownArn = `arn:aws:kms:fi-hel:acme-corp:key/${own}`;
    expect((await acme("/enc-kms?encryption", { method: "PUT", body: config(rule("aws:kms", "", ownArn)) })).status).toBe(200);
    const unknown = await refusal(await acme("/enc-kms?encryption", { method: "PUT", body: config(rule("aws:kms", "", "no-such-key")) }));
    for (const keyId of [foreign, `arn:aws:kms:fi-hel:globex:key/${foreign}`, `arn:aws:kms:fi-hel:acme-corp:key/${foreign}`]) {
      const answer = await refusal(await acme("/enc-kms?encryption", { method: "PUT", body: config(rule("aws:kms", "", keyId)) }));
      expect(answer.slice(0, 2)).toEqual(unknown.slice(0, 2));
    }
    expect(await bucketDefaultEncryption(fi.deps, await findBucket(fi.deps, "acme-corp", "enc-kms"))).toMatchObject({ mode: "aws:kms", keyId: own });
  });

  it("a disabled key is refused (KMS.DisabledException); the configuration naming it stays as it was", async () => {
    const created = await fetch(`${fi.url}/api/customers/acme-corp/keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ description: "enc test" }) });
    expect(created.status).toBe(201);
    const { key_id } = (await created.json()) as { key_id: string };
    expect((await acme("/enc-bad?encryption", { method: "PUT", body: config(rule("aws:kms", "", key_id)) })).status).toBe(200);
    const disabled = await fetch(`${fi.url}/api/customers/acme-corp/keys/${key_id}/disable`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
    expect(disabled.status).toBe(200);
    const [status, code] = await refusal(await acme("/enc-bad?encryption", { method: "PUT", body: config(rule("aws:kms", "<BucketKeyEnabled>true</BucketKeyEnabled>", key_id)) }));
    expect([status, code]).toEqual([400, "KMS.DisabledException"]);
    expect(await bucketDefaultEncryption(fi.deps, await findBucket(fi.deps, "acme-corp", "enc-bad"))).toEqual({ configured: true, mode: "aws:kms", keyId: key_id, bucketKeyEnabled: false, blocksSseC: false });
  });
});

describe("who may read and change it", () => {
  it("a read-only key may GET but not PUT or DELETE the configuration", async () => {
    expect(await getConfig(readOnly, "enc-pol")).toEqual(SSE_S3_DEFAULT);
    const put = new PutBucketEncryptionCommand({ Bucket: "enc-pol", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] } });
    expect(await s3Outcome(readOnly.send(put))).toBe("403 AccessDenied");
    expect(await s3Outcome(readOnly.send(new DeleteBucketEncryptionCommand({ Bucket: "enc-pol" })))).toBe("403 AccessDenied");
    expect(await getConfig(sdk, "enc-pol")).toEqual(SSE_S3_DEFAULT);
  });

  it("bucket policies name the operations s3:PutEncryptionConfiguration and s3:GetEncryptionConfiguration", async () => {
    const deny = (Action: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action, Resource: "arn:aws:s3:::enc-pol" }] });
    const put = new PutBucketEncryptionCommand({ Bucket: "enc-pol", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] } });
    await sdk.send(new PutBucketPolicyCommand({ Bucket: "enc-pol", Policy: deny("s3:PutEncryptionConfiguration") }));
    expect(await s3Outcome(sdk.send(put))).toBe("403 AccessDenied");
    expect(await s3Outcome(sdk.send(new DeleteBucketEncryptionCommand({ Bucket: "enc-pol" })))).toBe("403 AccessDenied");
    expect(await s3Outcome(sdk.send(new GetBucketEncryptionCommand({ Bucket: "enc-pol" })))).toBe("ok");
    await sdk.send(new PutBucketPolicyCommand({ Bucket: "enc-pol", Policy: deny("s3:GetEncryptionConfiguration") }));
    expect(await s3Outcome(sdk.send(new GetBucketEncryptionCommand({ Bucket: "enc-pol" })))).toBe("403 AccessDenied");
    expect(await s3Outcome(sdk.send(put))).toBe("ok");
    await sdk.send(new DeleteBucketPolicyCommand({ Bucket: "enc-pol" }));
  });

  it("another customer's same-named bucket is its own: neither sees nor changes the other's configuration", async () => {
    await sdk.send(new PutBucketEncryptionCommand({ Bucket: "shared-name", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }] } }));
    expect(await getConfig(globexSdk, "shared-name")).toEqual(SSE_S3_DEFAULT);
    await globexSdk.send(new DeleteBucketEncryptionCommand({ Bucket: "shared-name" }));
    expect((await getConfig(sdk, "shared-name")).ServerSideEncryptionConfiguration?.Rules?.[0]?.BucketKeyEnabled).toBe(true);
    // A bucket only another customer has is NoSuchBucket to this one, for every method.
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await acme("/globex-only?encryption", { method, ...(method === "PUT" ? { body: config(rule("AES256")) } : {}) });
      expect([method, res.status]).toEqual([method, 404]);
    }
  });

  it("an object's ?encryption (UpdateObjectEncryption) is refused as not implemented, never taken for a PutObject", async () => {
    const res = await acme("/enc-a/some-key?encryption", { method: "PUT", body: "<ObjectEncryption/>" });
    expect(res.status).toBe(501);
    expect((await acme("/enc-a/some-key")).status).toBe(404);
  });
});
