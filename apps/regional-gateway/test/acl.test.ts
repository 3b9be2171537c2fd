import {
  CreateBucketCommand, CreateMultipartUploadCommand, CopyObjectCommand, DeleteBucketOwnershipControlsCommand, DeletePublicAccessBlockCommand, GetBucketAclCommand,
  GetBucketOwnershipControlsCommand, GetObjectAclCommand, GetPublicAccessBlockCommand, PutBucketAclCommand, PutBucketOwnershipControlsCommand, PutObjectAclCommand,
  PutObjectCommand, PutPublicAccessBlockCommand, S3Client, S3ServiceException,
} from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { sdkClient } from "./sdk-client.ts";
import { xmlValue, xmlValues } from "./s3-write-helpers.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let client: S3Client;

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const acp = (owner: string, ...grants: string[]) => `<AccessControlPolicy ${NS}><Owner><ID>${owner}</ID></Owner><AccessControlList>${grants.join("")}</AccessControlList></AccessControlPolicy>`;
const userGrant = (id: string, permission = "FULL_CONTROL") => `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>${id}</ID></Grantee><Permission>${permission}</Permission></Grant>`;
const groupGrant = (uri: string) => `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${uri}</URI></Grantee><Permission>READ</Permission></Grant>`;
const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["docs"]);
  await registerWithBuckets(fi.url, "globex", ["theirs"]);
  const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ permission: "read-write" }) });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  client = sdkClient(fi.url, k);
  expect((await acme("/docs/a.txt", { method: "PUT", body: "a" })).status).toBe(200);
});
afterAll(async () => {
  client?.destroy();
  await sql?.end();
  await fi?.destroy();
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) return { code: err.name, message: err.message };
    throw err;
  }
  return { code: "ok", message: "" };
}

const TENANCY = "tenancy is absolute";

describe("ACLs", () => {
  it("GET ?acl on a bucket and an object: the customer owns it with one FULL_CONTROL grant", async () => {
    for (const acl of [await client.send(new GetBucketAclCommand({ Bucket: "docs" })), await client.send(new GetObjectAclCommand({ Bucket: "docs", Key: "a.txt" }))]) {
      expect(acl.Owner).toEqual({ ID: "acme-corp", DisplayName: "acme-corp" });
      expect(acl.Grants).toEqual([{ Grantee: { Type: "CanonicalUser", ID: "acme-corp", DisplayName: "acme-corp" }, Permission: "FULL_CONTROL" }]);
    }
    const raw = await (await acme("/docs?acl")).text();
    expect(raw).toContain('xsi:type="CanonicalUser"');
    expect(xmlValues(raw, "Permission")).toEqual(["FULL_CONTROL"]);
  });

  it("owner-only canned ACLs are accepted on PUT ?acl, writes, copies, multipart and CreateBucket", async () => {
    for (const ACL of ["private", "bucket-owner-read", "bucket-owner-full-control"] as const) {
      expect((await acme("/docs?acl", { method: "PUT", headers: { "x-amz-acl": ACL } })).status).toBe(200);
      await client.send(new PutObjectAclCommand({ Bucket: "docs", Key: "a.txt", ACL }));
      await client.send(new PutObjectCommand({ Bucket: "docs", Key: `canned-${ACL}`, Body: "x", ACL }));
      await client.send(new CopyObjectCommand({ Bucket: "docs", Key: `copy-${ACL}`, CopySource: "docs/a.txt", ACL }));
      await client.send(new CreateMultipartUploadCommand({ Bucket: "docs", Key: `mp-${ACL}`, ACL }));
    }
    await client.send(new CreateBucketCommand({ Bucket: "private-made", ACL: "private", ObjectOwnership: "BucketOwnerEnforced" }));
    await client.send(new PutBucketAclCommand({ Bucket: "docs", ACL: "private" }));
    const body = await client.send(new PutBucketAclCommand({ Bucket: "docs", AccessControlPolicy: { Owner: { ID: "acme-corp" }, Grants: [{ Grantee: { Type: "CanonicalUser", ID: "acme-corp" }, Permission: "FULL_CONTROL" }] } }));
    expect(body.$metadata.httpStatusCode).toBe(200);
    const [row] = await sql`select compliance_info from operations_log where operation_type = 'PutBucketAcl' and status_code = 200 order by created_at desc limit 1`;
    expect(row!.compliance_info).toMatchObject({ acl: "AccessControlPolicy" });
  });

  it("public and other-account grants are refused everywhere with AccessDenied naming the reason, and nothing is written", async () => {
    const cases: [string, () => Promise<unknown>][] = [
      ["bucket public-read", () => client.send(new PutBucketAclCommand({ Bucket: "docs", ACL: "public-read" }))],
      ["object public-read-write", () => client.send(new PutObjectAclCommand({ Bucket: "docs", Key: "a.txt", ACL: "public-read-write" }))],
      ["grant header", () => client.send(new PutBucketAclCommand({ Bucket: "docs", GrantRead: `uri="${ALL_USERS}"` }))],
      ["PutObject authenticated-read", () => client.send(new PutObjectCommand({ Bucket: "docs", Key: "leak.txt", Body: "x", ACL: "authenticated-read" }))],
      ["PutObject grant to another id", () => client.send(new PutObjectCommand({ Bucket: "docs", Key: "leak2.txt", Body: "x", GrantFullControl: 'id="globex"' }))],
      ["CopyObject public-read", () => client.send(new CopyObjectCommand({ Bucket: "docs", Key: "leak3.txt", CopySource: "docs/a.txt", ACL: "public-read" }))],
      ["multipart grant", () => client.send(new CreateMultipartUploadCommand({ Bucket: "docs", Key: "leak4.txt", GrantRead: `uri="${ALL_USERS}"` }))],
      ["CreateBucket public-read", () => client.send(new CreateBucketCommand({ Bucket: "public-made", ACL: "public-read" }))],
      ["CreateBucket ObjectWriter", () => client.send(new CreateBucketCommand({ Bucket: "writer-made", ObjectOwnership: "ObjectWriter" }))],
      ["AllUsers in a body", () => client.send(new PutBucketAclCommand({ Bucket: "docs", AccessControlPolicy: { Owner: { ID: "acme-corp" }, Grants: [{ Grantee: { Type: "Group", URI: ALL_USERS }, Permission: "READ" }] } }))],
    ];
    for (const [what, send] of cases) {
      const r = await refusal(send());
      expect(r.code, what).toBe("AccessDenied");
      expect(r.message, what).toContain(TENANCY);
    }
    for (const key of ["leak.txt", "leak2.txt", "leak3.txt"]) expect((await acme(`/docs/${key}`)).status).toBe(404);
    expect((await acme("/docs?uploads")).status).toBe(200);
    expect(await (await acme("/docs?uploads")).text()).not.toContain("leak4.txt");
    expect((await acme("/public-made", { method: "HEAD" })).status).toBe(404);
    expect((await acme("/writer-made", { method: "HEAD" })).status).toBe(404);
    const [row] = await sql`select status_code, error_code from operations_log where operation_type = 'PutBucketAcl' and status_code = 403 limit 1`;
    expect(row).toMatchObject({ error_code: "AccessDenied" });
  });

  it("AccessControlPolicy bodies: another owner, another id, a narrower owner grant, e-mail grantees, malformed XML, body and header together", async () => {
    const cases: [string, string, Record<string, string>, number, string][] = [
      ["another owner", acp("globex", userGrant("globex")), {}, 403, "AccessDenied"],
      ["another id", acp("acme-corp", userGrant("acme-corp"), userGrant("globex", "READ")), {}, 403, "AccessDenied"],
      ["a group", acp("acme-corp", userGrant("acme-corp"), groupGrant("http://acs.amazonaws.com/groups/global/AuthenticatedUsers")), {}, 403, "AccessDenied"],
      ["a narrower owner grant", acp("acme-corp", userGrant("acme-corp", "READ")), {}, 403, "AccessDenied"],
      ["an e-mail grantee", acp("acme-corp", `<Grant><Grantee ${XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>x@example.com</EmailAddress></Grantee><Permission>READ</Permission></Grant>`), {}, 400, "UnresolvableGrantByEmailAddress"],
      ["an id that names no account", acp("acme-corp", userGrant("acme-corp"), userGrant("_foo")), {}, 400, "InvalidArgument"],
      ["no grants", acp("acme-corp"), {}, 400, "MalformedACLError"],
      ["another root", `<Nope ${NS}/>`, {}, 400, "MalformedACLError"],
      ["not XML", "<AccessControlPolicy", {}, 400, "MalformedXML"],
      ["both forms", acp("acme-corp", userGrant("acme-corp")), { "x-amz-acl": "private" }, 400, "InvalidRequest"],
      ["neither form", "", {}, 400, "MalformedACLError"],
      ["an unknown canned ACL", "", { "x-amz-acl": "world-writable" }, 400, "InvalidArgument"],
    ];
    for (const [what, body, headers, status, code] of cases) {
      const res = await acme("/docs/a.txt?acl", { method: "PUT", body, headers });
      expect(res.status, what).toBe(status);
      expect(xmlValue(await res.text(), "Code"), what).toBe(code);
    }
  });

  it("?acl on a missing key is NoSuchKey; on another customer's bucket NoSuchBucket; a read-only key may not PUT ?acl", async () => {
    expect((await refusal(client.send(new GetObjectAclCommand({ Bucket: "docs", Key: "missing" })))).code).toBe("NoSuchKey");
    expect((await refusal(client.send(new PutObjectAclCommand({ Bucket: "docs", Key: "missing", ACL: "private" })))).code).toBe("NoSuchKey");
    expect((await refusal(client.send(new GetBucketAclCommand({ Bucket: "theirs" })))).code).toBe("NoSuchBucket");
    const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ permission: "read-only" }) });
    const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
    const ro = sdkClient(fi.url, k);
    expect((await refusal(ro.send(new PutBucketAclCommand({ Bucket: "docs", ACL: "private" })))).code).toBe("AccessDenied");
    expect((await refusal(ro.send(new GetBucketAclCommand({ Bucket: "docs" })))).code).toBe("ok");
    ro.destroy();
  });
});

describe("public access block and ownership controls", () => {
  it("reports all four blocks true; a PUT may restate them, relaxing any is AccessDenied; DELETE is 204 and keeps them", async () => {
    const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
    expect((await client.send(new GetPublicAccessBlockCommand({ Bucket: "docs" }))).PublicAccessBlockConfiguration).toEqual(all);
    await client.send(new PutPublicAccessBlockCommand({ Bucket: "docs", PublicAccessBlockConfiguration: all }));
    for (const relax of ["BlockPublicAcls", "RestrictPublicBuckets"] as const) {
      const r = await refusal(client.send(new PutPublicAccessBlockCommand({ Bucket: "docs", PublicAccessBlockConfiguration: { ...all, [relax]: false } })));
      expect(r.code).toBe("AccessDenied");
      expect(r.message).toContain(relax);
    }
    // Left out is false in S3: relaxing too.
    const partial = await acme("/docs?publicAccessBlock", { method: "PUT", body: `<PublicAccessBlockConfiguration ${NS}><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>` });
    expect(partial.status).toBe(403);
    const bad = await acme("/docs?publicAccessBlock", { method: "PUT", body: `<PublicAccessBlockConfiguration ${NS}><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>` });
    expect(bad.status).toBe(400);
    const del = await client.send(new DeletePublicAccessBlockCommand({ Bucket: "docs" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await client.send(new GetPublicAccessBlockCommand({ Bucket: "docs" }))).PublicAccessBlockConfiguration).toEqual(all);
    const [row] = await sql`select compliance_info from operations_log where operation_type = 'PutPublicAccessBlock' and status_code = 403 limit 1`;
    expect(row!.compliance_info).toMatchObject({ reason: "public_access_block_relaxed" });
  });

  it("ownership is BucketOwnerEnforced: reported, restated, never changed; DELETE is 204", async () => {
    const get = async () => (await client.send(new GetBucketOwnershipControlsCommand({ Bucket: "docs" }))).OwnershipControls?.Rules;
    expect(await get()).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
    await client.send(new PutBucketOwnershipControlsCommand({ Bucket: "docs", OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } }));
    for (const ObjectOwnership of ["ObjectWriter", "BucketOwnerPreferred"] as const) {
      expect((await refusal(client.send(new PutBucketOwnershipControlsCommand({ Bucket: "docs", OwnershipControls: { Rules: [{ ObjectOwnership }] } })))).code).toBe("AccessDenied");
    }
    const junk = await acme("/docs?ownershipControls", { method: "PUT", body: `<OwnershipControls ${NS}><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>` });
    expect(junk.status).toBe(400);
    expect((await client.send(new DeleteBucketOwnershipControlsCommand({ Bucket: "docs" }))).$metadata.httpStatusCode).toBe(204);
    expect(await get()).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
    expect((await refusal(client.send(new GetBucketOwnershipControlsCommand({ Bucket: "theirs" })))).code).toBe("NoSuchBucket");
  });
});
