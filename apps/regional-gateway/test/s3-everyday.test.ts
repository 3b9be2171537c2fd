import { GetBucketLifecycleConfigurationCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketLifecycleConfigurationCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { presignUrl } from "@s3gw/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { xmlBlocks, xmlValue, xmlValues } from "./s3-write-helpers.ts";

let fi: TestRegion;
let acme: ReturnType<typeof s3>;
let sdk: S3Client;
let creds: { accessKeyId: string; secretAccessKey: string };

/** A fresh read-write key of the customer, and an S3 client over SigV4 with it. */
async function sdkClient(baseUrl: string, customerId: string) {
  const res = await fetch(`${baseUrl}/api/customers/${customerId}/access-keys`, {
    method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({}),
  });
  expect(res.status).toBe(201);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  const credentials = { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
  return { credentials, client: new S3Client({ endpoint: baseUrl, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials }) };
}

const presigned = (path: string, now = new Date()) => presignUrl({
  method: "GET", protocol: "http:", host: new URL(fi.url).host, rawPath: path, credentials: creds, region: "us-east-1", expiresInSeconds: 60, now,
});

async function errorOf(res: Response) {
  const body = await res.text();
  return { status: res.status, code: xmlValue(body, "Code"), message: xmlValue(body, "Message") };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["docs", "lists", "rules"]);
  ({ client: sdk, credentials: creds } = await sdkClient(fi.url, "acme-corp"));
});
afterAll(async () => {
  sdk?.destroy();
  await fi?.destroy();
});

describe("Content-Encoding: aws-chunked", () => {
  it("is framing, not the object's coding: dropped from what is stored, other codings kept", async () => {
    // The SDK sends small bodies with a signed payload; a flexible checksum turns on aws-chunked.
    await sdk.send(new PutObjectCommand({ Bucket: "docs", Key: "plain.txt", Body: "hello", ChecksumAlgorithm: "CRC32" }));
    const plain = await sdk.send(new HeadObjectCommand({ Bucket: "docs", Key: "plain.txt" }));
    expect(plain.ContentEncoding).toBeUndefined();

    await sdk.send(new PutObjectCommand({ Bucket: "docs", Key: "gz.txt", Body: "zipped?", ContentEncoding: "gzip", ChecksumAlgorithm: "CRC32" }));
    expect((await sdk.send(new HeadObjectCommand({ Bucket: "docs", Key: "gz.txt" }))).ContentEncoding).toBe("gzip");

    // Sent by hand in any case and order, with an empty member.
    expect((await acme("/docs/raw.txt", { method: "PUT", body: "x", headers: { "content-encoding": "AWS-Chunked, , br" } })).status).toBe(200);
    expect((await acme("/docs/raw.txt", { method: "HEAD" })).headers.get("content-encoding")).toBe("br");
    expect((await acme("/docs/only.txt", { method: "PUT", body: "x", headers: { "content-encoding": "aws-chunked" } })).status).toBe(200);
    expect((await acme("/docs/only.txt", { method: "HEAD" })).headers.get("content-encoding")).toBeNull();
  });
});

describe("ListObjects encoding and continuation tokens", () => {
  beforeAll(async () => {
    for (const key of ["a b/1", "a b/2", "c+d", "e%f", "g\nh"]) {
      expect((await acme(`/lists/${encodeURIComponent(key)}`, { method: "PUT", body: "x" })).status).toBe(200);
    }
  });

  it("v1 echoes Prefix, Marker and Delimiter as sent; encoding-type=url encodes Marker, Delimiter and keys, never v1's Prefix", async () => {
    const plain = await (await acme(`/lists?prefix=${encodeURIComponent("a b/")}&marker=${encodeURIComponent("a b/1")}&delimiter=${encodeURIComponent("/")}`)).text();
    expect(xmlValue(plain, "Prefix")).toBe("a b/");
    expect(xmlValue(plain, "Marker")).toBe("a b/1");
    expect(xmlValue(plain, "Delimiter")).toBe("/");
    expect(xmlValues(plain, "Key")).toEqual(["a b/2"]);
    expect(plain).not.toContain("<EncodingType>");

    const encoded = await (await acme(`/lists?encoding-type=url&prefix=${encodeURIComponent("g\n")}&marker=${encodeURIComponent("e%f")}&delimiter=${encodeURIComponent("\n")}`)).text();
    expect(xmlValue(encoded, "Prefix")).toBe("g\n");
    const v2 = await (await acme(`/lists?list-type=2&encoding-type=url&prefix=${encodeURIComponent("g\n")}`)).text();
    expect(xmlValue(v2, "Prefix")).toBe("g%0A");
    expect(xmlValue(encoded, "Marker")).toBe("e%25f");
    expect(xmlValue(encoded, "Delimiter")).toBe("%0A");
    expect(xmlValue(encoded, "EncodingType")).toBe("url");
    expect(xmlValues(encoded, "Key")).toEqual(["g%0Ah"]);
  });

  it.skipIf(spawnSync("python3", ["-c", "import boto3"]).status !== 0)("boto3 (which asks for encoding-type=url itself) reads v1 and v2 prefixes back as sent", async () => {
    const script = [
      "import boto3, json, sys",
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name='us-east-1')",
      "v1 = s3.list_objects(Bucket='lists', Prefix='g\\n', Delimiter='/')",
      "v2 = s3.list_objects_v2(Bucket='lists', Prefix='g\\n')",
      "print(json.dumps([v1['Prefix'], [o['Key'] for o in v1['Contents']], v2['Prefix'], [o['Key'] for o in v2['Contents']]]))",
    ].join("\n");
    // Asynchronously: the gateway answers from this very process.
    const { stdout } = await promisify(execFile)("python3", ["-c", script, fi.url, creds.accessKeyId, creds.secretAccessKey], { encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual(["g\n", ["g\nh"], "g\n", ["g\nh"]]);
  });

  it("an empty continuation-token lists from the start (or start-after) and is echoed back", async () => {
    const res = await (await acme("/lists?list-type=2&continuation-token=")).text();
    expect(res).toMatch(/<ContinuationToken(><\/ContinuationToken>|\/>)/);
    expect(xmlValues(res, "Key")).toHaveLength(5);
    const after = await (await acme("/lists?list-type=2&continuation-token=&start-after=c%2Bd")).text();
    expect(xmlValues(after, "Key")).toEqual(["e%f", "g\nh"]);

    const sdkPage = await sdk.send(new ListObjectsV2Command({ Bucket: "lists", ContinuationToken: "" }));
    expect(sdkPage.ContinuationToken).toBe("");
    expect(sdkPage.KeyCount).toBe(5);
  });

  it("hostile tokens are InvalidArgument; a token never reaches past the bucket it is used on", async () => {
    for (const token of ["not-a-token", "%00", Buffer.from('["x",7]').toString("base64url"), Buffer.from("{}").toString("base64url"), "A".repeat(5000)]) {
      const err = await errorOf(await acme(`/lists?list-type=2&continuation-token=${encodeURIComponent(token)}`));
      expect(err.status, token.slice(0, 20)).toBe(400);
      expect(err.code).toBe("InvalidArgument");
    }
    // Another customer with a bucket and key of its own: a token naming that key only positions
    // acme's listing of acme's bucket.
    const other = await registerWithBuckets(fi.url, "globex", ["lists-g"]);
    expect((await other("/lists-g/secret", { method: "PUT", body: "globex data" })).status).toBe(200);
    const foreign = Buffer.from(JSON.stringify(["", 1])).toString("base64url");
    const listed = await (await acme(`/lists?list-type=2&continuation-token=${foreign}`)).text();
    expect(xmlValues(listed, "Key")).toHaveLength(5);
    expect(listed).not.toContain("secret");
    expect((await acme(`/lists-g?list-type=2&continuation-token=${foreign}`)).status).toBe(404);
  });
});

describe("lifecycle rules round-trip in the shape they were sent", () => {
  const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
  it("a top-level Prefix stays top-level, Filter forms stay as written", async () => {
    const body = `<LifecycleConfiguration ${NS}>`
      + "<Rule><ID>legacy</ID><Prefix>old/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>"
      + "<Rule><ID>legacy-empty</ID><Prefix></Prefix><Status>Disabled</Status><Expiration><Days>9</Days></Expiration></Rule>"
      + "<Rule><ID>filtered</ID><Filter><Prefix>new/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>4</Days></Expiration></Rule>"
      + "<Rule><ID>and-one-tag</ID><Filter><And><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>5</Days></Expiration></Rule>"
      + "</LifecycleConfiguration>";
    expect((await acme("/rules?lifecycle", { method: "PUT", body })).status).toBe(200);
    const rules = xmlBlocks(await (await acme("/rules?lifecycle")).text(), "Rule");
    expect(rules[0]).toContain("<ID>legacy</ID><Prefix>old/</Prefix>");
    expect(rules[0]).not.toContain("<Filter>");
    expect(rules[1]).toMatch(/<ID>legacy-empty<\/ID><Prefix(><\/Prefix>|\/>)/);
    expect(rules[2]).toContain("<Filter><Prefix>new/</Prefix></Filter>");
    expect(rules[3]).toContain("<Filter><And><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>");

    // The SDK reads both forms back as it wrote them.
    await sdk.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: "rules",
      LifecycleConfiguration: { Rules: [{ ID: "top", Prefix: "p/", Status: "Enabled", Expiration: { Days: 1 } }, { ID: "f", Filter: { Prefix: "q/" }, Status: "Enabled", Expiration: { Days: 2 } }] },
    }));
    const got = await sdk.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "rules" }));
    expect(got.Rules?.map((r) => [r.ID, r.Prefix, r.Filter?.Prefix])).toEqual([["top", "p/", undefined], ["f", undefined, "q/"]]);
  });

  it("a rule with both Prefix and Filter is still refused", async () => {
    const body = `<LifecycleConfiguration ${NS}><Rule><ID>x</ID><Prefix>a/</Prefix><Filter><Prefix>b/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`;
    expect((await errorOf(await acme("/rules?lifecycle", { method: "PUT", body }))).code).toBe("MalformedXML");
  });
});

describe("unknown sub-resources and methods", () => {
  it("sub-resources S3 defines and the gateway does not serve answer 501 at every scope, never a listing", async () => {
    for (const path of ["/docs?replication", "/docs?session", "/docs?metadataTable", "/docs/plain.txt?renameObject", "/docs?website", "/?session"]) {
      const err = await errorOf(await acme(path));
      expect([err.status, err.code], path).toEqual([501, "NotImplemented"]);
    }
  });

  it("unknown HTTP methods are 405 MethodNotAllowed", async () => {
    for (const [method, path] of [["PATCH", "/docs"], ["PATCH", "/docs/plain.txt"], ["PROPFIND", "/docs/plain.txt"], ["POST", "/docs/plain.txt"], ["PATCH", "/"], ["POST", "/"]] as const) {
      const err = await errorOf(await acme(path, { method }));
      expect([err.status, err.code], `${method} ${path}`).toEqual([405, "MethodNotAllowed"]);
    }
  });
});

describe("X-Amz-Expires", () => {
  const tampered = (url: string, expires: string) => url.replace(/X-Amz-Expires=\d+/, `X-Amz-Expires=${expires}`);

  it("answers as AWS: expired, zero and negative are AccessDenied, beyond a week a 403 and malformed a 400 AuthorizationQueryParametersError", async () => {
    const url = await presigned("/docs/plain.txt");
    expect((await fetch(url)).status).toBe(200);
    const old = await presigned("/docs/plain.txt", new Date(Date.now() - 10 * 60_000));
    const expired = await errorOf(await fetch(old));
    expect(expired).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(expired.message).toMatch(/^Request has expired/);
    expect(await errorOf(await fetch(tampered(url, "0")))).toMatchObject({ status: 403, code: "AccessDenied", message: expect.stringMatching(/^Request has expired/) });

    expect(await errorOf(await fetch(tampered(url, "-1000")))).toMatchObject({ status: 403, code: "AccessDenied", message: expect.stringMatching(/^Request has expired/) });
    const cases: [string, number, RegExp][] = [
      ["1.5", 400, /should be a number/],
      ["abc", 400, /should be a number/],
      ["", 400, /should be a number/],
      ["604801", 403, /less than a week/],
      ["99999999999999999999", 403, /less than a week/],
    ];
    for (const [value, status, message] of cases) {
      const err = await errorOf(await fetch(tampered(url, encodeURIComponent(value))));
      expect(err, value).toMatchObject({ status, code: "AuthorizationQueryParametersError" });
      expect(err.message, value).toMatch(message);
    }
    // A week exactly is well-formed: only the signature (now over a changed URL) is wrong.
    expect((await errorOf(await fetch(tampered(url, "604800")))).code).toBe("SignatureDoesNotMatch");
  });
});

describe("x-amz-expiration from lifecycle", () => {
  const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
  const DAY = 86_400_000;
  const midnightAfter = (from: number, days: number) => new Date(Math.ceil((from + days * DAY) / DAY) * DAY).toUTCString();

  it("announces the earliest matching enabled rule on PUT and HEAD, as S3 does", async () => {
    expect((await acme("/exp", { method: "PUT" })).status).toBe(200);
    const body = `<LifecycleConfiguration ${NS}>`
      + "<Rule><ID>rule1</ID><Filter><Prefix>days1/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      + "<Rule><ID>long</ID><Filter><Prefix>days</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>"
      + "<Rule><ID>off</ID><Filter><Prefix>days1/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>0001</Days></Expiration></Rule>"
      + "<Rule><ID>tmp \"q\" é</ID><Filter><Tag><Key>class</Key><Value>tmp</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>"
      + "<Rule><ID>abort-only</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
      + "</LifecycleConfiguration>";
    expect((await acme("/exp?lifecycle", { method: "PUT", body })).status).toBe(200);

    const put = await sdk.send(new PutObjectCommand({ Bucket: "exp", Key: "days1/a.txt", Body: "x" }));
    const head = await sdk.send(new HeadObjectCommand({ Bucket: "exp", Key: "days1/a.txt" }));
    const modified = head.LastModified!.getTime();
    const expected = `expiry-date="${midnightAfter(modified, 1)}", rule-id="rule1"`;
    expect(put.Expiration).toBe(expected);
    expect(head.Expiration).toBe(expected);

    const long = await acme("/exp/days30.txt", { method: "PUT", body: "y" });
    expect(long.headers.get("x-amz-expiration")).toMatch(/rule-id="long"$/);
    const tagged = await acme("/exp/other.txt", { method: "PUT", body: "z", headers: { "x-amz-tagging": "class=tmp" } });
    expect(tagged.headers.get("x-amz-expiration")).toMatch(/, rule-id="tmp \\"q\\" %C3%A9"$/);
    const none = await acme("/exp/other-untagged.txt", { method: "PUT", body: "z" });
    expect(none.headers.get("x-amz-expiration")).toBeNull();
    expect((await acme("/exp/other-untagged.txt", { method: "HEAD" })).headers.get("x-amz-expiration")).toBeNull();
    // Without a configuration, never.
    expect((await acme("/exp?lifecycle", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/exp/days1/a.txt", { method: "HEAD" })).headers.get("x-amz-expiration")).toBeNull();
  });
});
