import {
  CopyObjectCommand, CreateMultipartUploadCommand, DeleteBucketPolicyCommand, DeleteObjectsCommand, GetBucketPolicyCommand, GetBucketPolicyStatusCommand,
  GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client, UploadPartCopyCommand, S3ServiceException,
} from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORWARDED_PROOF_HEADER, isKnownS3Action, ROUTED_CUSTOMER_HEADER, signForwardedRequest } from "@s3gw/core";
import { actionOf } from "../src/routes/s3/authorize.ts";
import { S3_OPERATIONS } from "../src/routes/s3/operations.ts";
import { adminAuth, bearer, mintToken, registerWithBuckets, s3, startTestRegion, TEST_GATEWAY_SECRET, type TestRegion } from "./harness.ts";
import { sdkClient } from "./sdk-client.ts";
import { xmlValue } from "./s3-write-helpers.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let globex: ReturnType<typeof s3>;
const keys: Record<string, { id: string; client: S3Client }> = {};

async function newKey(customer: string, body: Record<string, unknown> = {}): Promise<{ id: string; client: S3Client }> {
  const res = await fetch(`${fi.url}/api/customers/${customer}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ permission: "read-write", ...body }) });
  expect(res.status).toBe(201);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  const client = sdkClient(fi.url, k);
  return { id: k.access_key_id, client };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["pol", "src", "dst", "ips", "lists", "batch", "tls", "owner", "cache", "handoff", "locked"]);
  globex = await registerWithBuckets(fi.url, "globex", ["pol", "open"]);
  keys.a = await newKey("acme-corp");
  keys.b = await newKey("acme-corp");
  keys.ro = await newKey("acme-corp", { permission: "read-only" });
  keys.g = await newKey("globex");
});
afterAll(async () => {
  for (const k of Object.values(keys)) k.client.destroy();
  await sql?.end();
  await fi?.destroy();
});

const policy = (bucket: string, ...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement: Statement.map((s) => ({ Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], ...s })) });
const user = (id: string) => ({ AWS: `arn:aws:iam::acme-corp:user/${id}` });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof S3ServiceException) return err.name;
    throw err;
  }
}

/** A GET as the global router forwards it: the client address and protocol it saw, signed into its proof. */
function viaRouter(path: string, forwardedFor: string, proto: "http" | "https"): Promise<Response> {
  const fields = { method: "GET", pathAndQuery: `/s3${path}`, forwardedFor, forwardedHost: "s3.example.com", forwardedProto: proto, routedCustomerId: "acme-corp", sourceCountry: "" };
  const proof = signForwardedRequest(TEST_GATEWAY_SECRET, fields, Date.now() / 1000);
  return acme(path, { headers: { "x-forwarded-for": forwardedFor, "x-forwarded-host": fields.forwardedHost, "x-forwarded-proto": proto, [ROUTED_CUSTOMER_HEADER]: "acme-corp", [FORWARDED_PROOF_HEADER]: proof } });
}

async function put(client: ReturnType<typeof s3>, path: string, body = "bytes"): Promise<void> {
  const res = await client(path, { method: "PUT", body });
  expect(res.status, await res.clone().text()).toBe(200);
}

describe("the operation table's IAM actions", () => {
  it("every served operation is named by an S3 action a policy can use", () => {
    // Rows that only answer 501 have no action to authorise.
    const unserved = new Set(["BucketTagging"]);
    const unknown = S3_OPERATIONS.filter((o) => !unserved.has(o.name) && !isKnownS3Action(actionOf(o))).map((o) => `${o.name} -> ${actionOf(o)}`);
    expect(unknown).toEqual([]);
  });
});

describe("PUT/GET/DELETE ?policy and ?policyStatus", () => {
  it("round-trips a policy through the AWS SDK, audits the change, and answers NoSuchBucketPolicy when there is none", async () => {
    const { client } = keys.a!;
    expect(await codeOf(client.send(new GetBucketPolicyCommand({ Bucket: "pol" })))).toBe("NoSuchBucketPolicy");
    expect(await codeOf(client.send(new GetBucketPolicyStatusCommand({ Bucket: "pol" })))).toBe("NoSuchBucketPolicy");
    // Key order, indentation and escapes as a person writes them: AWS answers the text as PUT.
    const text = `{\n  "Statement": [ {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*",\n    "Action": ["s3:DeleteObject"], "Resource": "arn:aws:s3:::pol/\\u002a"} ],\n  "Version": "2012-10-17"\n}\n`;
    await client.send(new PutBucketPolicyCommand({ Bucket: "pol", Policy: text }));
    const got = await client.send(new GetBucketPolicyCommand({ Bucket: "pol" }));
    expect(got.Policy).toBe(text);
    const status = await client.send(new GetBucketPolicyStatusCommand({ Bucket: "pol" }));
    expect(status.PolicyStatus?.IsPublic).toBe(false);
    await client.send(new DeleteBucketPolicyCommand({ Bucket: "pol" }));
    expect(await codeOf(client.send(new GetBucketPolicyCommand({ Bucket: "pol" })))).toBe("NoSuchBucketPolicy");
    const rows = await sql`select operation_type, status_code, compliance_info from operations_log where bucket_name = 'pol' and customer_id = 'acme-corp' and operation_type in ('PutBucketPolicy', 'DeleteBucketPolicy') order by created_at`;
    expect(rows.map((r) => [r.operation_type, r.status_code])).toEqual([["PutBucketPolicy", 204], ["DeleteBucketPolicy", 204]]);
    expect(rows[0]!.compliance_info).toMatchObject({ statements: 1, deny: 1, sids: ["NoDeletes"] });
    expect(rows[1]!.compliance_info).toMatchObject({ removed: true });
  });

  it("a policy stored before its text was kept answers its validated document; a refused PUT leaves the stored text alone", async () => {
    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: ["s3:DeleteObject"], Resource: ["arn:aws:s3:::lists/*"] }] };
    await sql`insert into bucket_settings (bucket_id, customer_id, kind, document) select bucket_id, customer_id, 'policy', ${sql.json(doc)} from buckets where customer_id = 'acme-corp' and bucket_name = 'lists'`;
    const legacy = await acme("/lists?policy");
    expect(legacy.status).toBe(200);
    expect(JSON.parse(await legacy.text())).toMatchObject({ Statement: [{ Effect: "Deny", Action: ["s3:DeleteObject"] }] });
    const kept = '{"Version":"2012-10-17",  "Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::lists/x"}]}';
    expect((await acme("/lists?policy", { method: "PUT", body: kept })).status).toBe(204);
    expect((await acme("/lists?policy", { method: "PUT", body: kept.replace("s3:GetObject", "s3:NoSuchAction") })).status).toBe(400);
    expect(await (await acme("/lists?policy")).text()).toBe(kept);
    expect((await acme("/lists?policy", { method: "DELETE" })).status).toBe(204);
  });

  it.each([
    ["another customer's root", { Effect: "Deny", Principal: { AWS: "arn:aws:iam::globex:root" }, Action: "s3:*" }, "Invalid principal"],
    ["another customer's key under this customer's ARN", "GLOBEX-KEY", "Invalid principal"],
    ["a key that does not exist", { Effect: "Deny", Principal: user("S3GWAAAAAAAAAAAAAAAA"), Action: "s3:*" }, "Invalid principal"],
    ["the public group", { Effect: "Allow", Principal: { AWS: "arn:aws:iam::*:root" }, Action: "s3:GetObject" }, "Invalid principal"],
    ["a Cyrillic lookalike action", { Effect: "Deny", Principal: "*", Action: "s3:GetОbject" }, "invalid action"],
  ])("refuses %s with MalformedPolicy", async (_what, statement, reason) => {
    const st = statement === "GLOBEX-KEY" ? { Effect: "Deny", Principal: user(keys.g!.id), Action: "s3:*" } : statement;
    const res = await acme("/pol?policy", { method: "PUT", body: policy("pol", st as Record<string, unknown>) });
    const body = await res.text();
    expect(res.status).toBe(400);
    expect(xmlValue(body, "Code")).toBe("MalformedPolicy");
    expect(xmlValue(body, "Message")).toContain(reason);
    expect((await acme("/pol?policy")).status).toBe(404);
  });

  it("refuses resources of another bucket, oversized, empty and non-JSON bodies", async () => {
    const other = JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::open/*" }] });
    const big = policy("pol", { Sid: "x".repeat(100), Effect: "Deny", Principal: "*", Action: "s3:GetObject", Condition: { StringLike: { "s3:prefix": Array.from({ length: 100 }, (_, i) => `${i}${"p".repeat(200)}`) } } });
    expect(big.length).toBeGreaterThan(20 * 1024);
    const surrogate = String.raw`{"Statement":[{"Sid":"\ud800","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::pol/*"}]}`;
    const deep = `{"Statement":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    for (const body of [other, big, "", "{not json", "[]", surrogate, deep]) {
      const res = await acme("/pol?policy", { method: "PUT", body });
      expect(res.status, body.slice(0, 40)).toBe(400);
      expect(xmlValue(await res.text(), "Code")).toBe("MalformedPolicy");
    }
    const notUtf8 = await acme("/pol?policy", { method: "PUT", body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    expect([notUtf8.status, xmlValue(await notUtf8.text(), "Message")]).toEqual([400, "Policies must be UTF-8 text"]);
    // Far over the limit is refused before it is read.
    const huge = await acme("/pol?policy", { method: "PUT", body: "{".padEnd(200_000, " ") });
    expect(huge.status).toBe(400);
  });

  it("a read-only key may read but not set a policy; another customer's same-named bucket is untouched", async () => {
    expect(await codeOf(keys.ro!.client.send(new PutBucketPolicyCommand({ Bucket: "pol", Policy: policy("pol", { Effect: "Deny", Principal: "*", Action: "s3:*" }) })))).toBe("AccessDenied");
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "pol", Policy: policy("pol", { Effect: "Deny", Principal: "*", Action: "s3:GetObject" }) }));
    await put(globex, "/pol/x");
    expect((await globex("/pol/x")).status).toBe(200);
    expect((await globex("/pol?policy")).status).toBe(404);
    await keys.a!.client.send(new DeleteBucketPolicyCommand({ Bucket: "pol" }));
  });
});

describe("evaluation for the customer's own keys", () => {
  it("Deny for one key on a prefix: that key is refused GET and HEAD (audited with the statement), the other key is not", async () => {
    await put(acme, "/pol/secret/a.txt");
    await put(acme, "/pol/public/a.txt");
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "pol", Policy: policy("pol", { Sid: "KeyANoSecrets", Effect: "Deny", Principal: user(keys.a!.id), Action: "s3:GetObject", Resource: "arn:aws:s3:::pol/secret/*" }) }));
    expect(await codeOf(keys.a!.client.send(new GetObjectCommand({ Bucket: "pol", Key: "secret/a.txt" })))).toBe("AccessDenied");
    expect(await codeOf(keys.a!.client.send(new HeadObjectCommand({ Bucket: "pol", Key: "secret/a.txt" })))).not.toBe("ok");
    expect(await codeOf(keys.a!.client.send(new GetObjectCommand({ Bucket: "pol", Key: "public/a.txt" })))).toBe("ok");
    expect(await codeOf(keys.b!.client.send(new GetObjectCommand({ Bucket: "pol", Key: "secret/a.txt" })))).toBe("ok");
    // A version id does not sidestep the Deny (s3:GetObject and s3:GetObjectVersion both apply).
    expect(await codeOf(keys.a!.client.send(new GetObjectCommand({ Bucket: "pol", Key: "secret/a.txt", VersionId: "null" })))).toBe("AccessDenied");
    const [row] = await sql`select status_code, error_code, principal, compliance_info from operations_log where operation_type = 'GetObject' and object_key = 'secret/a.txt' and status_code = 403 limit 1`;
    expect(row).toMatchObject({ status_code: 403, error_code: "AccessDenied", principal: `access-key:${keys.a!.id}` });
    expect(row!.compliance_info).toMatchObject({ reason: "bucket_policy_denied", statement: "KeyANoSecrets", action: "s3:GetObject", policy_bucket: "pol" });
  });

  it("an Allow never widens a key: a read-only key stays read-only", async () => {
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "pol", Policy: policy("pol", { Effect: "Allow", Principal: "*", Action: "s3:*" }) }));
    expect(await codeOf(keys.ro!.client.send(new PutObjectCommand({ Bucket: "pol", Key: "ro.txt", Body: "x" })))).toBe("AccessDenied");
    expect(await codeOf(keys.ro!.client.send(new GetObjectCommand({ Bucket: "pol", Key: "public/a.txt" })))).toBe("ok");
  });

  it("a policy allowing * on one customer's bucket never reaches another customer", async () => {
    await put(globex, "/open/shared.txt");
    const g = await globex("/open?policy", { method: "PUT", body: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::open", "arn:aws:s3:::open/*"] }] }) });
    expect(g.status).toBe(204);
    expect(await codeOf(keys.a!.client.send(new GetObjectCommand({ Bucket: "open", Key: "shared.txt" })))).toBe("NoSuchBucket");
    expect(await codeOf(keys.a!.client.send(new ListObjectsV2Command({ Bucket: "open" })))).toBe("NoSuchBucket");
    expect((await acme("/open/shared.txt")).status).toBe(404);
  });

  it("Deny on the copy source refuses CopyObject and UploadPartCopy from it, but not copies of other keys", async () => {
    await put(acme, "/src/private/x.txt", "private bytes");
    await put(acme, "/src/ok/x.txt", "ok bytes");
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "src", Policy: policy("src", { Sid: "NoCopyOut", Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::src/private/*" }) }));
    const { client } = keys.b!;
    expect(await codeOf(client.send(new CopyObjectCommand({ Bucket: "dst", Key: "stolen.txt", CopySource: "src/private/x.txt" })))).toBe("AccessDenied");
    expect(await codeOf(client.send(new CopyObjectCommand({ Bucket: "dst", Key: "fine.txt", CopySource: "src/ok/x.txt" })))).toBe("ok");
    const upload = await client.send(new CreateMultipartUploadCommand({ Bucket: "dst", Key: "mp.bin" }));
    expect(await codeOf(client.send(new UploadPartCopyCommand({ Bucket: "dst", Key: "mp.bin", UploadId: upload.UploadId, PartNumber: 1, CopySource: "src/private/x.txt" })))).toBe("AccessDenied");
    // Trusted-header mode (the customer itself) is denied by "*" too.
    const res = await acme("/dst/stolen2.txt", { method: "PUT", headers: { "x-amz-copy-source": "/src/private/x.txt" } });
    expect(res.status).toBe(403);
    expect((await acme("/dst/stolen.txt")).status).toBe(404);
    expect((await acme("/dst/stolen2.txt")).status).toBe(404);
    const [row] = await sql`select compliance_info from operations_log where operation_type = 'CopyObject' and object_key = 'stolen.txt' and status_code = 403`;
    expect(row!.compliance_info).toMatchObject({ reason: "bucket_policy_denied", policy_bucket: "src", policy_key: "private/x.txt", statement: "NoCopyOut" });
  });

  it("DeleteObjects is judged key by key: denied keys are reported AccessDenied and kept, the others are deleted", async () => {
    await put(acme, "/batch/keep/a");
    await put(acme, "/batch/tmp/b");
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "batch", Policy: policy("batch", { Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::batch/keep/*" }) }));
    const out = await keys.a!.client.send(new DeleteObjectsCommand({ Bucket: "batch", Delete: { Objects: [{ Key: "keep/a" }, { Key: "tmp/b" }] } }));
    expect(out.Deleted?.map((d) => d.Key)).toEqual(["tmp/b"]);
    expect(out.Errors?.map((e) => [e.Key, e.Code])).toEqual([["keep/a", "AccessDenied"]]);
    expect((await acme("/batch/keep/a")).status).toBe(200);
    expect((await acme("/batch/keep/a", { method: "DELETE" })).status).toBe(403);
  });

  it("s3:prefix: listing is allowed only under home/", async () => {
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "lists", Policy: policy("lists", { Effect: "Deny", Principal: "*", Action: "s3:ListBucket", Condition: { StringNotLike: { "s3:prefix": "home/*" } } }) }));
    expect(await codeOf(keys.a!.client.send(new ListObjectsV2Command({ Bucket: "lists" })))).toBe("AccessDenied");
    expect(await codeOf(keys.a!.client.send(new ListObjectsV2Command({ Bucket: "lists", Prefix: "etc/" })))).toBe("AccessDenied");
    expect(await codeOf(keys.a!.client.send(new ListObjectsV2Command({ Bucket: "lists", Prefix: "home/me/" })))).toBe("ok");
  });

  it("s3:x-amz-server-side-encryption: uploads must ask for AES256", async () => {
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "tls", Policy: policy("tls", { Effect: "Deny", Principal: "*", Action: "s3:PutObject", Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } } }) }));
    expect(await codeOf(keys.a!.client.send(new PutObjectCommand({ Bucket: "tls", Key: "plain", Body: "x" })))).toBe("AccessDenied");
    expect(await codeOf(keys.a!.client.send(new PutObjectCommand({ Bucket: "tls", Key: "sse", Body: "x", ServerSideEncryption: "AES256" })))).toBe("ok");
  });

  it("Null and s3:x-amz-acl: uploads must be encrypted and hand the object to the owner", async () => {
    const p = policy("handoff",
      { Sid: "Encrypted", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } } },
      { Sid: "OwnerFull", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Condition: { StringNotEquals: { "s3:x-amz-acl": "bucket-owner-full-control" } } });
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "handoff", Policy: p }));
    const { client } = keys.b!;
    expect(await codeOf(client.send(new PutObjectCommand({ Bucket: "handoff", Key: "a", Body: "x", ACL: "bucket-owner-full-control" })))).toBe("AccessDenied");
    expect(await codeOf(client.send(new PutObjectCommand({ Bucket: "handoff", Key: "a", Body: "x", ServerSideEncryption: "AES256" })))).toBe("AccessDenied");
    expect(await codeOf(client.send(new PutObjectCommand({ Bucket: "handoff", Key: "a", Body: "x", ServerSideEncryption: "AES256", ACL: "bucket-owner-full-control" })))).toBe("ok");
  });

  it("aws:SecureTransport: plain HTTP to the region is not secure transport, and an unproven X-Forwarded-Proto does not make it so", async () => {
    const p = policy("tls", { Effect: "Deny", Principal: "*", Action: "s3:GetObject", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect((await acme("/tls?policy", { method: "PUT", body: p })).status).toBe(204);
    expect((await acme("/tls/sse")).status).toBe(403);
    expect((await acme("/tls/sse", { headers: { "x-forwarded-proto": "https" } })).status).toBe(403);
    // The router's signed word that the client came over HTTPS counts.
    expect((await viaRouter("/tls/sse", "192.0.2.1", "https")).status).toBe(200);
    expect((await viaRouter("/tls/sse", "192.0.2.1", "http")).status).toBe(403);
  });

  it("aws:SourceIp is the socket peer: an X-Forwarded-For without the router's proof is ignored", async () => {
    await put(acme, "/ips/a.txt");
    const onlyOffice = policy("ips", { Sid: "OfficeOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { NotIpAddress: { "aws:SourceIp": ["10.20.0.0/16"] } } });
    expect((await acme("/ips?policy", { method: "PUT", body: onlyOffice })).status).toBe(204);
    expect((await acme("/ips/a.txt")).status).toBe(403);
    expect((await acme("/ips/a.txt", { headers: { "x-forwarded-for": "10.20.1.1" } })).status).toBe(403);
    expect(await codeOf(keys.a!.client.send(new GetObjectCommand({ Bucket: "ips", Key: "a.txt" })))).toBe("AccessDenied");
    // Forwarded by the router with a valid proof: the last X-Forwarded-For entry (the peer the router saw) counts, earlier ones are the client's claim.
    expect((await viaRouter("/ips/a.txt", "10.20.1.1", "http")).status).toBe(200);
    expect((await viaRouter("/ips/a.txt", "10.20.1.1, 198.51.100.9", "http")).status).toBe(403);
    // The customer itself can still manage (here: remove) the policy that locks it out.
    expect((await acme("/ips?policy", { method: "DELETE" })).status).toBe(204);
    const loopback = policy("ips", { Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } } });
    expect((await acme("/ips?policy", { method: "PUT", body: loopback })).status).toBe(204);
    expect((await acme("/ips/a.txt")).status).toBe(200);
  });

  it("a key denied policy management cannot lift the Deny; the customer itself can", async () => {
    const p = policy("owner", { Effect: "Deny", Principal: user(keys.b!.id), Action: ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetBucketPolicy"] });
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "owner", Policy: p }));
    expect(await codeOf(keys.b!.client.send(new DeleteBucketPolicyCommand({ Bucket: "owner" })))).toBe("AccessDenied");
    expect(await codeOf(keys.b!.client.send(new GetBucketPolicyCommand({ Bucket: "owner" })))).toBe("AccessDenied");
    expect(await codeOf(keys.a!.client.send(new GetBucketPolicyCommand({ Bucket: "owner" })))).toBe("ok");
    expect((await acme("/owner?policy", { method: "DELETE" })).status).toBe(204);
  });

  it("a policy that locks out every key is seen and removed through the management API (admin or an officer of that customer), audited", async () => {
    await put(acme, "/locked/a.txt");
    await keys.a!.client.send(new PutBucketPolicyCommand({ Bucket: "locked", Policy: policy("locked", { Sid: "Everything", Effect: "Deny", Principal: "*", Action: "s3:*" }) }));
    expect(await codeOf(keys.a!.client.send(new DeleteBucketPolicyCommand({ Bucket: "locked" })))).toBe("AccessDenied");
    expect(await codeOf(keys.a!.client.send(new GetObjectCommand({ Bucket: "locked", Key: "a.txt" })))).toBe("AccessDenied");
    const path = `${fi.url}/api/customers/acme-corp/buckets/locked/policy`;
    const auditor = await mintToken(fi.url, "auditor", "auditor");
    const globexOfficer = await mintToken(fi.url, "globex officer", "compliance_officer", "globex");
    const regionOfficer = await mintToken(fi.url, "region officer", "compliance_officer");
    const acmeOfficer = await mintToken(fi.url, "acme officer", "compliance_officer", "acme-corp");
    const seen = await fetch(path, { headers: bearer(auditor) });
    expect(seen.status).toBe(200);
    expect(((await seen.json()) as { Statement: { Sid: string }[] }).Statement[0]!.Sid).toBe("Everything");
    expect((await fetch(path, { method: "DELETE", headers: bearer(auditor) })).status).toBe(403);
    expect((await fetch(path, { headers: bearer(globexOfficer) })).status).toBe(403);
    expect((await fetch(path, { method: "DELETE", headers: bearer(globexOfficer) })).status).toBe(403);
    expect((await fetch(path, { method: "DELETE", headers: bearer(regionOfficer) })).status).toBe(403);
    expect((await fetch(path, { method: "DELETE" })).status).toBe(401);
    expect((await fetch(`${fi.url}/api/customers/globex/buckets/locked/policy`, { headers: adminAuth })).status).toBe(404);
    expect((await fetch(path, { method: "DELETE", headers: bearer(acmeOfficer) })).status).toBe(204);
    expect((await fetch(path, { headers: adminAuth })).status).toBe(404);
    expect(await codeOf(keys.a!.client.send(new GetObjectCommand({ Bucket: "locked", Key: "a.txt" })))).toBe("ok");
    const rows = await sql`select status_code, principal, compliance_info from operations_log where operation_type = 'DeleteBucketPolicyAdmin' order by created_at`;
    expect(rows.map((r) => r.status_code)).toEqual([403, 403, 403, 401, 204]);
    expect(rows.at(-1)!.compliance_info).toMatchObject({ removed: true });
  });

  it("takes effect at once on this instance, and a change made in the database directly reaches the cache by notification", async () => {
    await put(acme, "/cache/a.txt");
    expect((await acme("/cache/a.txt")).status).toBe(200);
    expect((await acme("/cache?policy", { method: "PUT", body: policy("cache", { Effect: "Deny", Principal: "*", Action: "s3:GetObject" }) })).status).toBe(204);
    expect((await acme("/cache/a.txt")).status).toBe(403);
    await sql`delete from bucket_settings where customer_id = 'acme-corp' and kind = 'policy' and bucket_id = (select bucket_id from buckets where customer_id = 'acme-corp' and bucket_name = 'cache')`;
    let status = 403;
    for (let i = 0; i < 200 && status === 403; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = (await acme("/cache/a.txt")).status;
    }
    expect(status).toBe(200);
  });
});
