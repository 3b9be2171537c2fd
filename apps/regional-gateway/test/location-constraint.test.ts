import { CreateBucketCommand, GetBucketLocationCommand, S3Client } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

let fi: TestRegion;
let de: TestRegion;
let fiSql: postgres.Sql;
let strict: ReturnType<typeof s3>;
let zone: ReturnType<typeof s3>;
let loose: ReturnType<typeof s3>;

const config = (constraint: string) => `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${constraint}</LocationConstraint></CreateBucketConfiguration>`;

async function create(client: ReturnType<typeof s3>, bucket: string, body?: string) {
  const res = await client(`/${bucket}`, { method: "PUT", ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, code: xmlValue(text, "Code"), message: xmlValue(text, "Message") };
}

async function sdkClient(region: TestRegion, customerId: string, signingRegion: string): Promise<S3Client> {
  const res = await fetch(`${region.url}/api/customers/${customerId}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  expect(res.status).toBe(201);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return new S3Client({ endpoint: region.url, region: signingRegion, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key } });
}

beforeAll(async () => {
  [fi, de] = await Promise.all([startTestRegion("FI-HEL"), startTestRegion("DE-FRA")]);
  fiSql = postgresClient(fi.databaseUrl, { max: 1 });
  strict = await registerWithBuckets(fi.url, "acme-strict", []);
  zone = await registerWithBuckets(fi.url, "acme-zone", [], { data_residency_requirement: "jurisdiction" });
  loose = await registerWithBuckets(de.url, "berlin-flex", [], { country: "Germany", data_residency_requirement: "flexible" });
});
afterAll(async () => {
  await fiSql?.end();
  await Promise.all([fi?.destroy(), de?.destroy()]);
});

describe("CreateBucket LocationConstraint", () => {
  it("accepts no constraint, this region's id in any case, and the AWS region at the same place", async () => {
    expect((await create(strict, "none")).status).toBe(200);
    expect((await create(strict, "empty", "<CreateBucketConfiguration/>")).status).toBe(200);
    expect((await create(strict, "blank", config(""))).status).toBe(200);
    expect((await create(strict, "by-id", config("FI-HEL"))).status).toBe(200);
    expect((await create(strict, "by-id-lower", config("fi-hel"))).status).toBe(200);
    expect((await create(loose, "frankfurt", config("eu-central-1"))).status).toBe(200);
    expect((await create(loose, "de-id", config("DE-FRA"))).status).toBe(200);
    // GetBucketLocation names the gateway region the bucket is in.
    expect(await (await loose("/frankfurt?location")).text()).toMatch(/<LocationConstraint xmlns="[^"]+">DE-FRA<\/LocationConstraint>/);
  });

  it("refuses another region as IllegalLocationConstraintException, and never creates the bucket at home", async () => {
    // jurisdiction (EU): Frankfurt and Stockholm are allowed by residency, but not this region.
    for (const [bucket, constraint] of [["to-frankfurt", "eu-central-1"], ["to-stockholm", "eu-north-1"], ["to-de-fra", "DE-FRA"]] as const) {
      const res = await create(zone, bucket, config(constraint));
      expect([res.status, res.code], constraint).toEqual([400, "IllegalLocationConstraintException"]);
      expect(res.message).toContain(constraint);
      expect((await zone(`/${bucket}`, { method: "HEAD" })).status).toBe(404);
    }
    // flexible: anywhere is allowed, but DE-FRA stores only in Frankfurt.
    expect(await create(loose, "to-virginia", config("us-east-1"))).toMatchObject({ status: 400, code: "IllegalLocationConstraintException" });
    expect((await loose("/to-virginia", { method: "HEAD" })).status).toBe(404);
  });

  it("refuses a location the residency requirement forbids as DataResidencyViolation, raised as a compliance event", async () => {
    const out = await create(zone, "to-virginia", config("us-east-1"));
    expect([out.status, out.code]).toEqual([403, "DataResidencyViolation"]);
    // strict: every other region is forbidden, whether its country is known or not.
    for (const constraint of ["eu-central-1", "DE-FRA", "us-west-2"]) {
      expect(await create(strict, "abroad", config(constraint)), constraint).toMatchObject({ status: 403, code: "DataResidencyViolation" });
    }
    expect((await strict("/abroad", { method: "HEAD" })).status).toBe(404);
    const events = await fiSql`select customer_id, bucket_name, details->>'location_constraint' as lc from compliance_events
      where event_type = 'data_residency_violation' order by created_at, customer_id`;
    expect(events.map((e) => [e.customer_id, e.bucket_name, e.lc])).toEqual(expect.arrayContaining([
      ["acme-zone", "to-virginia", "us-east-1"], ["acme-strict", "abroad", "eu-central-1"], ["acme-strict", "abroad", "DE-FRA"], ["acme-strict", "abroad", "us-west-2"],
    ]));
    expect(events).toHaveLength(4);
    // Each refusal is in the operations log as a denied CreateBucket.
    const ops = await fiSql`select count(*)::int as n from operations_log where customer_id = 'acme-strict' and operation_type = 'CreateBucket' and bucket_name = 'abroad'`;
    expect(ops[0]!.n).toBe(3);
  });

  it("refuses malformed and hostile configurations before anything is created", async () => {
    const cases: [string, string, number, string][] = [
      ["not a location", config("mars-north-1"), 400, "InvalidLocationConstraint"],
      ["a region id in lower case elsewhere", config("de-fra"), 400, "InvalidLocationConstraint"],
      ["markup-ish", config("eu-central-1&lt;x&gt;"), 400, "InvalidLocationConstraint"],
      ["too long", config("x".repeat(100)), 400, "MalformedXML"],
      ["unknown element", "<CreateBucketConfiguration><Location><Name>x</Name></Location></CreateBucketConfiguration>", 400, "MalformedXML"],
      ["wrong root", "<BucketConfiguration><LocationConstraint>FI-HEL</LocationConstraint></BucketConfiguration>", 400, "MalformedXML"],
      ["not xml", "<CreateBucketConfiguration>", 400, "MalformedXML"],
      ["two constraints", `<CreateBucketConfiguration><LocationConstraint>FI-HEL</LocationConstraint><LocationConstraint>FI-HEL</LocationConstraint></CreateBucketConfiguration>`, 400, "MalformedXML"],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await create(zone, "hostile", body);
      expect({ name, status: res.status, code: res.code }).toEqual({ name, status, code });
    }
    expect((await zone("/hostile", { method: "HEAD" })).status).toBe(404);
  });

  it("works with the AWS SDK: the client's region as the constraint", async () => {
    const frankfurt = await sdkClient(de, "berlin-flex", "eu-central-1");
    await frankfurt.send(new CreateBucketCommand({ Bucket: "sdk-made", CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
    expect((await frankfurt.send(new GetBucketLocationCommand({ Bucket: "sdk-made" }))).LocationConstraint).toBe("DE-FRA");
    const paris = await sdkClient(de, "berlin-flex", "eu-west-3");
    await expect(paris.send(new CreateBucketCommand({ Bucket: "sdk-paris", CreateBucketConfiguration: { LocationConstraint: "eu-west-3" } })))
      .rejects.toMatchObject({ name: "IllegalLocationConstraintException", $metadata: { httpStatusCode: 400 } });
    frankfurt.destroy();
    paris.destroy();
  });
});
