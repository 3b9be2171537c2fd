import { CreateBucketCommand, GetBucketLoggingCommand, GetObjectCommand, ListObjectsV2Command, PutBucketLoggingCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { deliverAccessLogs, SETTLE_MS } from "../apps/regional-gateway/src/services/objects/access-log-delivery.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

// Server access logging through the global endpoint: configured with the AWS SDK at the router,
// delivered by the home region's worker into the customer's own bucket there, read back.
let stack: TestStack;
let sdk: S3Client;
let otherSdk: S3Client;

async function client(customer: string): Promise<S3Client> {
  const res = await fetch(`${stack.regions["DE-FRA"].url}/api/customers/${customer}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  if (res.status !== 201) throw new Error(`access key: ${res.status} ${await res.text()}`);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key } });
}

beforeAll(async () => {
  stack = await startStack();
  for (const id of ["logging-co", "neighbour-co"]) await onboard(stack, id, "DE-FRA", { customer_name: id, country: "Germany", data_residency_requirement: "jurisdiction" });
  sdk = await client("logging-co");
  otherSdk = await client("neighbour-co");
}, 120_000);
afterAll(async () => {
  sdk?.destroy();
  otherSdk?.destroy();
  await stack?.close();
});

describe("bucket logging through the global endpoint", () => {
  it("configures, delivers in the home region and reads the log back; another customer's bucket is no target", async () => {
    await otherSdk.send(new CreateBucketCommand({ Bucket: "neighbour-logs" }));
    for (const b of ["app-data", "app-logs"]) await sdk.send(new CreateBucketCommand({ Bucket: b }));
    const refused = await sdk.send(new PutBucketLoggingCommand({ Bucket: "app-data", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "neighbour-logs", TargetPrefix: "" } } })).catch((e: S3ServiceException) => e);
    expect([(refused as S3ServiceException).name, (refused as S3ServiceException).$metadata.httpStatusCode]).toEqual(["InvalidTargetBucketForLogging", 400]);

    await sdk.send(new PutBucketLoggingCommand({ Bucket: "app-data", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "app-logs", TargetPrefix: "s3/" } } }));
    expect((await sdk.send(new GetBucketLoggingCommand({ Bucket: "app-data" }))).LoggingEnabled).toMatchObject({ TargetBucket: "app-logs", TargetPrefix: "s3/" });
    await sdk.send(new PutObjectCommand({ Bucket: "app-data", Key: "report.csv", Body: "a,b" }));

    const report = await deliverAccessLogs(stack.regions["DE-FRA"].deps, new Date(Date.now() + SETTLE_MS + 1000));
    expect(report).toMatchObject({ delivered: 1, failed: 0 });
    const [key] = ((await sdk.send(new ListObjectsV2Command({ Bucket: "app-logs", Prefix: "s3/" }))).Contents ?? []).map((o) => o.Key!);
    const lines = (await (await sdk.send(new GetObjectCommand({ Bucket: "app-logs", Key: key! }))).Body!.transformToString()).trim().split("\n");
    const put = lines.find((l) => l.includes("REST.PUT.OBJECT"))!;
    // Owner, bucket, the router-vouched client address (loopback here), the key and the status.
    expect(put).toMatch(/^logging-co app-data \[[^\]]+\] (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1) \S+ \S+ REST\.PUT\.OBJECT report\.csv "PUT \/app-data\/report\.csv HTTP\/1\.1" 200 /);
    // Nothing reached the neighbour's bucket.
    expect(((await otherSdk.send(new ListObjectsV2Command({ Bucket: "neighbour-logs" }))).KeyCount)).toBe(0);
  }, 60_000);
});
