import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

// Re-creating an own bucket through the global endpoint, for a customer homed in DE-FRA, whose
// region the AWS SDK may also name as eu-central-1 (the AWS region at the same place).
let stack: TestStack;
let sdk: S3Client;
let otherSdk: S3Client;

async function client(customer: string): Promise<S3Client> {
  const res = await fetch(`${stack.regions["DE-FRA"].url}/api/customers/${customer}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  if (res.status !== 201) throw new Error(`access key: ${res.status} ${await res.text()}`);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key } });
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: S3ServiceException) => [e.name, e.$metadata.httpStatusCode]);

beforeAll(async () => {
  stack = await startStack();
  for (const id of ["recreate-co", "namesake-co"]) await onboard(stack, id, "DE-FRA", { customer_name: id, country: "Germany", data_residency_requirement: "jurisdiction" });
  sdk = await client("recreate-co");
  otherSdk = await client("namesake-co");
}, 120_000);
afterAll(async () => {
  sdk?.destroy();
  otherSdk?.destroy();
  await stack?.close();
});

describe("CreateBucket of an own bucket through the global endpoint", () => {
  it("is 200 and changes nothing without a location, 409 naming the home region, and never reaches another customer's namesake", async () => {
    await sdk.send(new CreateBucketCommand({ Bucket: "twice" }));
    await sdk.send(new PutObjectCommand({ Bucket: "twice", Key: "k1", Body: "one" }));
    expect((await sdk.send(new CreateBucketCommand({ Bucket: "twice" }))).$metadata.httpStatusCode).toBe(200);
    for (const name of ["eu-central-1", "DE-FRA"]) {
      expect(await failure(sdk.send(new CreateBucketCommand({ Bucket: "twice", CreateBucketConfiguration: { LocationConstraint: name as never } }))), name).toEqual(["BucketAlreadyOwnedByYou", 409]);
    }
    expect(((await sdk.send(new ListObjectsV2Command({ Bucket: "twice" }))).Contents ?? []).map((o) => o.Key)).toEqual(["k1"]);

    // The namesake's create is its own new bucket, empty; the first customer's stays as it was.
    expect((await otherSdk.send(new CreateBucketCommand({ Bucket: "twice" }))).$metadata.httpStatusCode).toBe(200);
    expect((await otherSdk.send(new ListObjectsV2Command({ Bucket: "twice" }))).KeyCount).toBe(0);
    expect(((await sdk.send(new ListObjectsV2Command({ Bucket: "twice" }))).Contents ?? []).map((o) => o.Key)).toEqual(["k1"]);
  }, 60_000);
});
