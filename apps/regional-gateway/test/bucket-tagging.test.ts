import { DeleteBucketTaggingCommand, GetBucketTaggingCommand, ListBucketsCommand, PutBucketTaggingCommand, S3Client, paginateListBuckets } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { sdkClient } from "./sdk-client.ts";
import { xmlValue, xmlValues } from "./s3-write-helpers.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let globex: ReturnType<typeof s3>;
let sdk: S3Client;

const tagging = (pairs: [string, string][]) =>
  `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${pairs.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join("")}</TagSet></Tagging>`;

async function errorOf(res: Response) {
  const body = await res.text();
  return { status: res.status, code: xmlValue(body, "Code") };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["alpha", "beta-1", "beta-2", "beta-3", "gamma"]);
  globex = await registerWithBuckets(fi.url, "globex", ["beta-0", "globex-only"]);
  const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  sdk = sdkClient(fi.url, k);
});
afterAll(async () => {
  sdk?.destroy();
  await sql?.end();
  await fi?.destroy();
});

describe("bucket tagging", () => {
  it("PUT, GET and DELETE ?tagging round-trip with the SDK; NoSuchTagSet when there are none", async () => {
    await expect(sdk.send(new GetBucketTaggingCommand({ Bucket: "alpha" }))).rejects.toMatchObject({ name: "NoSuchTagSet", $metadata: { httpStatusCode: 404 } });
    const TagSet = [{ Key: "cost-center", Value: "r+d 42" }, { Key: "owner", Value: "" }, { Key: " spaced ", Value: " kept " }];
    await sdk.send(new PutBucketTaggingCommand({ Bucket: "alpha", Tagging: { TagSet } }));
    expect((await sdk.send(new GetBucketTaggingCommand({ Bucket: "alpha" }))).TagSet).toEqual(TagSet);
    // A second PUT replaces the whole set.
    await sdk.send(new PutBucketTaggingCommand({ Bucket: "alpha", Tagging: { TagSet: [{ Key: "only", Value: "1" }] } }));
    expect((await sdk.send(new GetBucketTaggingCommand({ Bucket: "alpha" }))).TagSet).toEqual([{ Key: "only", Value: "1" }]);
    await sdk.send(new DeleteBucketTaggingCommand({ Bucket: "alpha" }));
    await expect(sdk.send(new GetBucketTaggingCommand({ Bucket: "alpha" }))).rejects.toMatchObject({ name: "NoSuchTagSet" });
    // Deleting again is still a success; an empty set leaves no tags.
    expect((await acme("/alpha?tagging", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/alpha?tagging", { method: "PUT", body: "<Tagging><TagSet/></Tagging>" })).status).toBe(204);
    expect((await errorOf(await acme("/alpha?tagging"))).code).toBe("NoSuchTagSet");
  });

  it("stores one validated document in bucket_settings, and each change is audited", async () => {
    expect((await acme("/gamma?tagging", { method: "PUT", body: tagging([["k", "v"]]) })).status).toBe(204);
    const rows = await sql`select s.kind, s.document, s.customer_id from bucket_settings s join buckets b using (bucket_id) where b.bucket_name = 'gamma'`;
    expect(rows.map((r) => [r.kind, r.document, r.customer_id])).toEqual([["tagging", { tags: [["k", "v"]] }, "acme-corp"]]);
    const ops = await sql`select operation_type, result from operations_log where bucket_name = 'gamma' and operation_type like '%BucketTagging' order by created_at`;
    expect(ops.map((o) => [o.operation_type, o.result])).toEqual([["PutBucketTagging", "success"]]);
  });

  it("refuses what S3 refuses, and stores nothing then", async () => {
    const fifty = Array.from({ length: 50 }, (_, i): [string, string] => [`k${i}`, "v"]);
    expect((await acme("/beta-1?tagging", { method: "PUT", body: tagging(fifty) })).status).toBe(204);
    const cases: [string, string, number, string][] = [
      ["51 tags", tagging([...fifty, ["k50", "v"]]), 400, "InvalidTag"],
      ["duplicate key", tagging([["a", "1"], ["a", "2"]]), 400, "InvalidTag"],
      ["key too long", tagging([["k".repeat(129), "v"]]), 400, "InvalidTag"],
      ["value too long", tagging([["k", "v".repeat(257)]]), 400, "InvalidTag"],
      ["empty key", tagging([["", "v"]]), 400, "InvalidTag"],
      ["reserved prefix", tagging([["aws:cloudformation:stack", "x"]]), 400, "InvalidTag"],
      ["bad characters", tagging([["k", "<script>"]]).replace("<script>", "&lt;script&gt;"), 400, "InvalidTag"],
      ["no TagSet", "<Tagging></Tagging>", 400, "MalformedXML"],
      ["no value", "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", 400, "MalformedXML"],
      ["two TagSets", "<Tagging><TagSet/><TagSet/></Tagging>", 400, "MalformedXML"],
      ["not xml", "<Tagging><TagSet>", 400, "MalformedXML"],
      ["oversize", `<Tagging><TagSet>${" ".repeat(70_000)}</TagSet></Tagging>`, 400, "MalformedXML"],
    ];
    for (const [name, body, status, code] of cases) {
      const err = await errorOf(await acme("/beta-1?tagging", { method: "PUT", body }));
      expect({ name, ...err }).toEqual({ name, status, code });
    }
    expect(xmlValues(await (await acme("/beta-1?tagging")).text(), "Key")).toHaveLength(50);
  });

  it("never reaches another customer's bucket", async () => {
    expect((await globex("/globex-only?tagging", { method: "PUT", body: tagging([["secret", "globex"]]) })).status).toBe(204);
    expect((await errorOf(await acme("/globex-only?tagging"))).code).toBe("NoSuchBucket");
    expect((await errorOf(await acme("/globex-only?tagging", { method: "PUT", body: tagging([["x", "y"]]) }))).code).toBe("NoSuchBucket");
    expect((await errorOf(await acme("/globex-only?tagging", { method: "DELETE" }))).code).toBe("NoSuchBucket");
    expect(await (await globex("/globex-only?tagging")).text()).toContain("<Key>secret</Key>");
    // Object tagging is not bucket tagging.
    expect((await errorOf(await acme("/gamma/no-such-object?tagging"))).code).toBe("NoSuchKey");
  });
});

describe("ListBuckets paging", () => {
  it("max-buckets, prefix and continuation-token, as the SDK's paginator uses them", async () => {
    const first = await sdk.send(new ListBucketsCommand({ MaxBuckets: 2 }));
    expect(first.Buckets?.map((b) => b.Name)).toEqual(["alpha", "beta-1"]);
    expect(first.ContinuationToken).toBeTruthy();
    const names: string[] = [];
    for await (const page of paginateListBuckets({ client: sdk, pageSize: 2 }, {})) names.push(...(page.Buckets ?? []).map((b) => b.Name!));
    expect(names).toEqual(["alpha", "beta-1", "beta-2", "beta-3", "gamma"]);

    const beta = await sdk.send(new ListBucketsCommand({ Prefix: "beta-", MaxBuckets: 2 }));
    expect([beta.Buckets?.map((b) => b.Name), beta.Prefix]).toEqual([["beta-1", "beta-2"], "beta-"]);
    const rest = await sdk.send(new ListBucketsCommand({ Prefix: "beta-", MaxBuckets: 2, ContinuationToken: beta.ContinuationToken }));
    expect([rest.Buckets?.map((b) => b.Name), rest.ContinuationToken]).toEqual([["beta-3"], undefined]);
    // Without max-buckets, every bucket and no token.
    const all = await (await acme("/")).text();
    expect(xmlValues(all, "Name")).toEqual(["alpha", "beta-1", "beta-2", "beta-3", "gamma"]);
    expect(all).not.toContain("<ContinuationToken>");
    expect(all).not.toContain("<Prefix>");
  });

  it("refuses bad max-buckets and tokens; a token naming another customer's bucket lists only the caller's", async () => {
    for (const value of ["0", "10001", "-1", "abc", "1.5", ""]) {
      expect(await errorOf(await acme(`/?max-buckets=${value}`)), value).toEqual({ status: 400, code: "InvalidArgument" });
    }
    expect((await acme("/?max-buckets=10000")).status).toBe(200);
    for (const token of ["garbage", "%22", "A".repeat(2000)]) {
      expect(await errorOf(await acme(`/?continuation-token=${token}`)), token.slice(0, 10)).toEqual({ status: 400, code: "InvalidArgument" });
    }
    const globexToken = Buffer.from(JSON.stringify(["beta-0", 0])).toString("base64url");
    const listed = xmlValues(await (await acme(`/?continuation-token=${globexToken}`)).text(), "Name");
    expect(listed).toEqual(["beta-1", "beta-2", "beta-3", "gamma"]);
    expect(xmlValues(await (await globex("/?prefix=beta")).text(), "Name")).toEqual(["beta-0"]);
    // A prefix is literal text: LIKE wildcards match nothing.
    expect(xmlValues(await (await acme("/?prefix=%25")).text(), "Name")).toEqual([]);
    expect(xmlValues(await (await acme("/?prefix=_")).text(), "Name")).toEqual([]);
  });
});
