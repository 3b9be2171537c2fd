import { connect } from "node:net";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corsXml, createAccessKey, curl, curlForm, signedForm, type TestKey } from "./browser-helpers.ts";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { tenantBlobCount } from "./s3-write-helpers.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof import("./harness.ts").s3>;
let key: TestKey;
let readOnly: TestKey;
let otherKey: TestKey;

const BASE_CONDITIONS = [["starts-with", "$key", "uploads/"], ["starts-with", "$Content-Type", "text/"], ["content-length-range", 1, 1024]];
const BASE_FIELDS: [string, string][] = [["key", "uploads/${filename}"], ["Content-Type", "text/plain"]];
const code = (body: string) => /<Code>(\w+)<\/Code>/.exec(body)?.[1];
const postUrl = (bucket = "inbox") => `${fi.url}/${bucket}`;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["inbox"]);
  await registerWithBuckets(fi.url, "other-corp", ["theirs"]);
  key = await createAccessKey(fi.url, "acme-corp");
  readOnly = await createAccessKey(fi.url, "acme-corp", { permission: "read-only" });
  otherKey = await createAccessKey(fi.url, "other-corp");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("POST object: a browser form upload (curl -F)", () => {
  it("stores the file under the ${filename}-substituted key with the form's type, metadata and tags", async () => {
    const tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>";
    const fields = signedForm(key, {
      bucket: "inbox",
      fields: [...BASE_FIELDS, ["x-amz-meta-owner", "jöhn"], ["tagging", tagging], ["acl", "private"], ["x-ignore-note", "not covered, ignored"]],
      conditions: [...BASE_CONDITIONS, ["starts-with", "$x-amz-meta-owner", ""], { tagging }, { acl: "private" }],
    });
    const res = await curlForm(postUrl(), fields, { name: "report.txt", content: "quarterly report" });
    expect(res.status).toBe(204);
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await acme("/inbox/uploads/report.txt");
    expect(await got.text()).toBe("quarterly report");
    expect(got.headers.get("content-type")).toBe("text/plain");
    // Stored as the UTF-8 text the form sent (non-ASCII metadata is answered RFC 2047-encoded, as S3 does).
    expect(got.headers.get("x-amz-meta-owner")).toBe(`=?UTF-8?B?${Buffer.from("jöhn").toString("base64")}?=`);
    expect(await (await acme("/inbox/uploads/report.txt?tagging")).text()).toContain("<Key>team</Key><Value>web</Value>");
    const [row] = await sql`select status_code, principal, bytes_transferred::int as bytes_transferred from operations_log where operation_type = 'PostObject' and object_key = 'uploads/report.txt'`;
    expect(row).toEqual({ status_code: 204, principal: `access-key:${key.access_key_id}`, bytes_transferred: 16 });
  });

  it("answers success_action_status 201 with PostResponse and success_action_redirect with 303", async () => {
    const created = await curlForm(postUrl(), signedForm(key, { bucket: "inbox", fields: [...BASE_FIELDS, ["success_action_status", "201"]], conditions: [...BASE_CONDITIONS, { success_action_status: "201" }] }), { name: "a.txt", content: "a" });
    expect(created.status).toBe(201);
    expect(created.body).toContain("<Bucket>inbox</Bucket><Key>uploads/a.txt</Key><ETag>&quot;");
    expect(created.body).toContain(`<Location>${fi.url}/inbox/uploads/a.txt</Location>`);
    const redirect = "https://app.example.com/done?from=form";
    const moved = await curlForm(postUrl(), signedForm(key, { bucket: "inbox", fields: [...BASE_FIELDS, ["success_action_redirect", redirect]], conditions: [...BASE_CONDITIONS, ["eq", "$success_action_redirect", redirect]] }), { name: "b c.txt", content: "b" });
    expect(moved.status).toBe(303);
    expect(moved.headers.location).toMatch(/^https:\/\/app\.example\.com\/done\?from=form&bucket=inbox&key=uploads%2Fb%20c\.txt&etag=%22[0-9a-f]{32}%22$/);
    expect(await (await acme("/inbox/uploads/b%20c.txt")).text()).toBe("b");
  });

  it("answers the new version's id in a versioned bucket", async () => {
    expect((await acme("/inbox?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" })).status).toBe(200);
    const fields = () => signedForm(key, { bucket: "inbox", fields: BASE_FIELDS, conditions: BASE_CONDITIONS });
    const first = await curlForm(postUrl(), fields(), { name: "v.txt", content: "one" });
    const second = await curlForm(postUrl(), fields(), { name: "v.txt", content: "two" });
    expect(first.status).toBe(204);
    expect(first.headers["x-amz-version-id"]).toBeTruthy();
    expect(second.headers["x-amz-version-id"]).not.toBe(first.headers["x-amz-version-id"]);
    expect(await (await acme(`/inbox/uploads/v.txt?versionId=${encodeURIComponent(first.headers["x-amz-version-id"]!)}`)).text()).toBe("one");
    expect(await (await acme("/inbox/uploads/v.txt")).text()).toBe("two");
    expect((await acme("/inbox?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>" })).status).toBe(200);
  });

  it("takes fields sent as file parts (as python requests' files= does) for fields", async () => {
    const boundary = "----s3gwFileParts";
    const fields = signedForm(key, { bucket: "inbox", fields: BASE_FIELDS, conditions: BASE_CONDITIONS });
    const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\n\r\n${value}\r\n`;
    const body = fields.map(([k, v]) => part(k, v)).join("") + part("file", "as file parts") + `--${boundary}--\r\n`;
    const res = await fetch(postUrl(), { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body });
    expect(res.status).toBe(204);
    // ${filename} of the file part named "file" is "file".
    expect(await (await acme("/inbox/uploads/file")).text()).toBe("as file parts");
  });

  it("carries CORS headers for a browser's origin", async () => {
    expect((await acme("/inbox?cors", { method: "PUT", body: corsXml(["<AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>POST</AllowedMethod>"]) })).status).toBe(200);
    const res = await curlForm(postUrl(), signedForm(key, { bucket: "inbox", fields: BASE_FIELDS, conditions: BASE_CONDITIONS }), { name: "cors.txt", content: "x" }, ["-H", "Origin: https://app.example.com"]);
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example.com");
  });
});

describe("POST object: the policy is checked as strictly as S3 does", () => {
  const post = async (fields: [string, string][], content: string | Buffer = "data", bucket = "inbox") => {
    const res = await curlForm(postUrl(bucket), fields, { name: "f.txt", content });
    return `${res.status} ${code(res.body)}`;
  };
  const form = (opts: Partial<Parameters<typeof signedForm>[1]> = {}, k: TestKey = key) => signedForm(k, { bucket: "inbox", fields: BASE_FIELDS, conditions: BASE_CONDITIONS, ...opts });

  it("refuses every tampering with the signed policy", async () => {
    expect(await post(form({ policyOverride: (j) => j.replace('"uploads/"', '""') }))).toBe("403 SignatureDoesNotMatch");
    expect(await post(form({ policyOverride: (j) => j.replace(/"expiration":"[^"]+"/, '"expiration":"2099-01-01T00:00:00.000Z"') }))).toBe("403 SignatureDoesNotMatch");
    expect(await post(form({ policyOverride: (j) => j.replace(',["content-length-range",1,1024]', "") }))).toBe("403 SignatureDoesNotMatch");
    const f = form();
    f.find(([k]) => k === "x-amz-signature")![1] = "0".repeat(64);
    expect(await post(f)).toBe("403 SignatureDoesNotMatch");
    expect(await post(form({}, { ...key, secret_access_key: "not-the-secret" }))).toBe("403 SignatureDoesNotMatch");
  });

  it("refuses a form that breaks a condition, an uncovered field and an expired policy", async () => {
    expect(await post(form({ fields: [["key", "elsewhere/x"], ["Content-Type", "text/plain"]] }))).toBe("403 AccessDenied");
    expect(await post(form({ fields: [...BASE_FIELDS, ["x-amz-meta-extra", "uncovered"]] }))).toBe("403 AccessDenied");
    const expired = await curlForm(postUrl(), form({ now: new Date(Date.now() - 7_200_000), expiration: new Date(Date.now() - 3_600_000) }), { name: "f.txt", content: "x" });
    expect(expired.status).toBe(403);
    expect(expired.body).toContain("Invalid according to Policy: Policy expired.");
    expect(await post(form({ fields: [...BASE_FIELDS, ["acl", "public-read"]], conditions: [...BASE_CONDITIONS, { acl: "public-read" }] }))).toBe("403 AccessDenied");
    expect(await post(form({ conditions: [...BASE_CONDITIONS, ["content-length-range", 1]] }))).toBe("400 InvalidPolicyDocument");
    expect(await post(form({ fields: [["Content-Type", "text/plain"]], conditions: BASE_CONDITIONS.slice(1) }))).toBe("400 InvalidArgument");
  });

  it("enforces content-length-range on the streamed bytes and keeps nothing of a refused file", async () => {
    const before = await tenantBlobCount(fi.storageDir, "acme-corp");
    expect(await post(form(), Buffer.alloc(1025, 97))).toBe("400 EntityTooLarge");
    expect(await post(form(), Buffer.alloc(0))).toBe("400 EntityTooSmall");
    expect(await post(form({ conditions: [...BASE_CONDITIONS.slice(0, 2), ["content-length-range", 0, 3 * 1024 * 1024]] }), Buffer.alloc(3 * 1024 * 1024 + 1, 98))).toBe("400 EntityTooLarge");
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before);
    expect((await acme("/inbox/uploads/f.txt")).status).toBe(404);
  });

  it("never reaches another customer's bucket, and needs a key that may write", async () => {
    // other-corp's key names other-corp's buckets: acme's "inbox" does not exist for it.
    expect(await post(form({}, otherKey))).toBe("404 NoSuchBucket");
    expect(await post(signedForm(otherKey, { bucket: "theirs", fields: BASE_FIELDS, conditions: BASE_CONDITIONS }), "theirs", "theirs")).toBe("204 undefined");
    expect(await post(form({}, readOnly))).toBe("403 AccessDenied");
    const unknown = { access_key_id: "S3GWAAAAAAAAAAAAAAAA", secret_access_key: "x" };
    expect(await post(form({}, unknown))).toBe("403 InvalidAccessKeyId");
    expect((await acme("/inbox/uploads/f.txt")).status).toBe(404);
  });

  it("is judged by the bucket policy and the ACL rules like a PutObject", async () => {
    const deny = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::inbox/uploads/locked-*" }] });
    // A hyphen in the resource: it once made the policy compiler throw (a 500 on every request).
    const putPolicy = await acme("/inbox?policy", { method: "PUT", body: deny });
    expect(`${putPolicy.status} ${await putPolicy.text()}`).toBe("204 ");
    try {
      const locked = await curlForm(postUrl(), form(), { name: "locked-1.txt", content: "x" });
      expect(`${locked.status} ${code(locked.body)}`).toBe("403 AccessDenied");
      expect(locked.body).toContain("bucket policy");
      expect(await post(form())).toBe("204 undefined"); // uploads/f.txt: not matched by the Deny
    } finally {
      expect((await acme("/inbox?policy", { method: "DELETE" })).status).toBe(204);
      expect((await acme("/inbox/uploads/f.txt", { method: "DELETE" })).status).toBe(204);
    }
    expect(await post(form({ fields: [...BASE_FIELDS, ["x-amz-grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers"]], conditions: [...BASE_CONDITIONS, ["starts-with", "$x-amz-grant-read", ""]] }))).toBe("403 AccessDenied");
    expect(await post(form({ fields: [...BASE_FIELDS, ["acl", "bucket-owner-full-control"]], conditions: [...BASE_CONDITIONS, { acl: "bucket-owner-full-control" }] }))).toBe("204 undefined");
  });

  it("keeps nothing of a file whose client leaves mid-upload", async () => {
    const before = await tenantBlobCount(fi.storageDir, "acme-corp");
    const boundary = "----s3gwLeaves";
    const fields = form({ fields: [["key", "uploads/left.txt"], ["Content-Type", "text/plain"]] });
    const head = fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("");
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="left.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const body = Buffer.from(head + part + "partial bytes");
    const { port } = new URL(fi.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(`POST /inbox HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length + 1000}\r\n\r\n`);
        socket.write(body, () => socket.destroy());
      });
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    // The gateway records the refused upload once it has noticed; wait for that row, not for a time.
    for (let i = 0; i < 1000; i++) {
      const [row] = await sql`select status_code from operations_log where operation_type = 'PostObject' and object_key = 'uploads/left.txt'`;
      if (row) {
        expect(row.status_code).toBe(400);
        break;
      }
      await new Promise((r) => setImmediate(r));
      if (i === 999) throw new Error("no audit row for the abandoned upload");
    }
    expect((await acme("/inbox/uploads/left.txt")).status).toBe(404);
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before);
  });

  it("refuses malformed, oversized and unsigned forms with S3's 400s and 403s", async () => {
    expect(await post(BASE_FIELDS)).toBe("403 AccessDenied"); // anonymous: no policy
    expect(await post([...BASE_FIELDS, ["AWSAccessKeyId", key.access_key_id], ["policy", "e30="], ["signature", "x"]])).toBe("400 InvalidRequest");
    expect(await post(form({ fields: [...BASE_FIELDS, ["x-ignore-pad", "p".repeat(70 * 1024)]] }))).toBe("400 MaxPostPreDataLengthExceeded");
    expect(await post([...form(), ["key", "uploads/twice"]])).toBe("400 InvalidArgument");
    const noFile = await curl([...form().flatMap(([k, v]) => ["--form-string", `${k}=${v}`]), postUrl()]);
    expect(`${noFile.status} ${code(noFile.body)}`).toBe("400 IncorrectNumberOfFilesInPostRequest");
    const garbage = await curl(["-X", "POST", "-H", "content-type: multipart/form-data; boundary=xyz", "--data-binary", "--xyz\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nv\r\n--xy", postUrl()]);
    expect(garbage.status).toBe(400);
    const notForm = await curl(["-X", "POST", "-H", "content-type: application/json", "--data-binary", "{}", postUrl()]);
    expect(`${notForm.status} ${code(notForm.body)}`).toBe("400 MalformedPOSTRequest");
    const [denied] = await sql`select count(*)::int as n from operations_log where operation_type = 'PostObject' and status_code >= 400`;
    expect(denied!.n).toBeGreaterThan(10);
  });
});
