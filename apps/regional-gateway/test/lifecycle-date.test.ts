import { GetBucketLifecycleConfigurationCommand, HeadObjectCommand, PutBucketLifecycleConfigurationCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client, type LifecycleRule } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLifecycle } from "../src/services/objects/lifecycle-worker.ts";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { s3Outcome as outcome, createAccessKey, sdkClient } from "./sdk-client.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// Lifecycle Expiration with a Date: validated as S3 does, announced, and acted on from that day on.
const DAY = 86_400_000;
let fi: TestRegion;
let sql: postgres.Sql;
let sdk: S3Client;
let acme: ReturnType<typeof s3>;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL", { sweepIntervalMs: 24 * 3_600_000 });
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["dated", "dated-versions", "config"]);
  await registerWithBuckets(fi.url, "globex", ["dated"]);
  sdk = sdkClient(fi.url, await createAccessKey(fi.url, "acme-corp"));
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

const dated = (ID: string, Prefix: string, date: Date): LifecycleRule => ({ ID, Filter: { Prefix }, Status: "Enabled", Expiration: { Date: date } });
const midnight = (offsetDays: number) => new Date(Math.floor(Date.now() / DAY) * DAY + offsetDays * DAY);
const keys = async (customer: string, bucket: string) =>
  (await sql`select object_key from object_metadata where customer_id = ${customer} and bucket_name = ${bucket} and is_latest order by object_key`).map((r) => r.object_key as string);


describe("lifecycle Expiration Date", () => {
  it("round-trips a midnight date and announces it in x-amz-expiration", async () => {
    const future = midnight(10);
    await sdk.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "config", LifecycleConfiguration: { Rules: [dated("on-date", "t/", future)] } }));
    const got = await sdk.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "config" }));
    expect(got.Rules).toEqual([{ ID: "on-date", Filter: { Prefix: "t/" }, Status: "Enabled", Expiration: { Date: future } }]);
    const put = await sdk.send(new PutObjectCommand({ Bucket: "config", Key: "t/a", Body: "a" }));
    expect(put.Expiration).toBe(`expiry-date="${future.toUTCString()}", rule-id="on-date"`);
    expect((await sdk.send(new HeadObjectCommand({ Bucket: "config", Key: "t/a" }))).Expiration).toBe(`expiry-date="${future.toUTCString()}", rule-id="on-date"`);
    expect((await sdk.send(new PutObjectCommand({ Bucket: "config", Key: "u/a", Body: "a" }))).Expiration).toBeUndefined();
  });

  it("refuses a date not at midnight UTC, malformed dates and a Date beside Days, storing nothing", async () => {
    const body = (expiration: string) => `<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>x/</Prefix></Filter><Status>Enabled</Status><Expiration>${expiration}</Expiration></Rule></LifecycleConfiguration>`;
    const cases: [string, number, string][] = [
      ["<Date>1970-08-23T03:28:21Z</Date>", 400, "InvalidArgument"],
      ["<Date>2030-01-01T00:00:00+02:00</Date>", 400, "InvalidArgument"],
      ["<Date>20200101</Date>", 400, "InvalidArgument"],
      ["<Date>2030-02-30T00:00:00Z</Date>", 400, "InvalidArgument"],
      ["<Date>tomorrow</Date>", 400, "InvalidArgument"],
      ["<Date></Date>", 400, "InvalidArgument"],
      ["<Date>2030-01-01T00:00:00Z</Date><Days>3</Days>", 400, "MalformedXML"],
    ];
    for (const [expiration, status, code] of cases) {
      const res = await acme("/dated?lifecycle", { method: "PUT", body: body(expiration) });
      const text = await res.text();
      expect([expiration, res.status, xmlValue(text, "Code")]).toEqual([expiration, status, code]);
    }
    // A transition's malformed date is a 400 too, before transitions are refused as unsupported.
    const transition = `<LifecycleConfiguration><Rule><ID>r</ID><Prefix>x/</Prefix><Status>Enabled</Status><Transition><Date>20220927</Date><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>`;
    expect((await acme("/dated?lifecycle", { method: "PUT", body: transition })).status).toBe(400);
    expect(xmlValue(await (await acme("/dated?lifecycle")).text(), "Code")).toBe("NoSuchLifecycleConfiguration");
    // A bare day is S3's ISO 8601 date too, stored as its midnight.
    expect((await acme("/dated?lifecycle", { method: "PUT", body: body("<Date>2031-05-06</Date>") })).status).toBe(200);
    expect(await (await acme("/dated?lifecycle")).text()).toContain("<Date>2031-05-06T00:00:00.000Z</Date>");
    expect((await acme("/dated?lifecycle", { method: "DELETE" })).status).toBe(204);
  });

  it("the worker expires matching current objects only on and after the date, keeping held ones; versioned buckets get a delete marker", async () => {
    const date = midnight(3);
    await sdk.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "dated", LifecycleConfiguration: { Rules: [dated("d", "old/", date)] } }));
    await sdk.send(new PutBucketVersioningCommand({ Bucket: "dated-versions", VersioningConfiguration: { Status: "Enabled" } }));
    await sdk.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "dated-versions", LifecycleConfiguration: { Rules: [dated("v", "", date)] } }));
    for (const key of ["old/a", "old/b", "old/held", "new/c"]) await sdk.send(new PutObjectCommand({ Bucket: "dated", Key: key, Body: key }));
    await sdk.send(new PutObjectCommand({ Bucket: "dated-versions", Key: "v1", Body: "v1" }));
    await sql`update object_metadata set legal_hold = true where customer_id = 'acme-corp' and bucket_name = 'dated' and object_key = 'old/held'`;
    // globex's bucket of the same name, same keys, no rule: never touched.
    expect((await s3(fi.url, "globex")("/dated/old/a", { method: "PUT", body: "g" })).status).toBe(200);

    const before = await runLifecycle(fi.deps, new Date(date.getTime() - 1));
    expect(before.expired).toBe(0);
    expect(await keys("acme-corp", "dated")).toEqual(["new/c", "old/a", "old/b", "old/held"]);

    const on = await runLifecycle(fi.deps, new Date(date.getTime() + DAY / 2));
    expect(on.expired).toBe(3);
    expect(on.kept.filter((k) => k.bucket === "dated")).toEqual([{ bucket: "dated", key: "old/held", reason: "legal hold" }]);
    expect(await keys("acme-corp", "dated")).toEqual(["new/c", "old/held"]);
    expect(await keys("globex", "dated")).toEqual(["old/a"]);
    // The version stays, noncurrent, behind a delete marker.
    expect(await outcome(sdk.send(new HeadObjectCommand({ Bucket: "dated-versions", Key: "v1" })))).toBe("404 NotFound");
    expect((await sql`select count(*)::int as n from object_metadata where customer_id = 'acme-corp' and bucket_name = 'dated-versions'`)[0]!.n).toBe(1);
    const audit = await sql`select compliance_info from operations_log where operation_type = 'LifecycleExpiration' and customer_id = 'acme-corp' and bucket_name = 'dated' order by id`;
    expect(audit.map((r) => (r.compliance_info as { expiration_date?: string }).expiration_date)).toEqual([date.toISOString(), date.toISOString()]);
  });
});
