import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { createAccessKey, s3Outcome as outcome, sdkClient } from "./sdk-client.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// Keys S3 cannot parse (ceph/s3-tests test_object_read_unreadable): 400 InvalidURI, never 404 or 500.
let fi: TestRegion;
let sdk: S3Client;
let acme: Awaited<ReturnType<typeof registerWithBuckets>>;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["keys"]);
  sdk = sdkClient(fi.url, await createAccessKey(fi.url, "acme-corp", { permission: "read-write" }));
});
afterAll(async () => {
  sdk?.destroy();
  await fi?.destroy();
});

describe("object keys that cannot be parsed", () => {
  it("the suite's key, as the SDK sends it (UTF-8 of U+00AE U+008A '-'), is 400 on GET, HEAD and PUT", async () => {
    const Key = "\xae\x8a-";
    const get = sdk.send(new GetObjectCommand({ Bucket: "keys", Key }));
    await expect(get).rejects.toMatchObject({ name: "InvalidURI", message: "Couldn't parse the specified URI.", $metadata: { httpStatusCode: 400 } });
    // A HEAD answer has no body: the SDK sees the status only.
    expect(await outcome(sdk.send(new HeadObjectCommand({ Bucket: "keys", Key })))).toMatch(/^400 /);
    expect(await outcome(sdk.send(new PutObjectCommand({ Bucket: "keys", Key, Body: "x" })))).toBe("400 InvalidURI");
    // Nothing was stored under it, and a key with the same visible character but no control is fine.
    expect((await sdk.send(new ListObjectsV2Command({ Bucket: "keys" }))).KeyCount).toBe(0);
    expect(await outcome(sdk.send(new PutObjectCommand({ Bucket: "keys", Key: "\xae-", Body: "ok" })))).toBe("ok");
    expect(await (await sdk.send(new GetObjectCommand({ Bucket: "keys", Key: "\xae-" }))).Body!.transformToString()).toBe("ok");
  });

  it("raw invalid UTF-8, truncated and overlong sequences and bad escapes are 400 InvalidURI with S3's message", async () => {
    for (const path of ["%AE%8A-", "%C2", "%E2%82", "%C0%AF", "%ED%A0%80", "%ZZ", "a%", "ok%C2%85"]) {
      for (const method of ["GET", "PUT"]) {
        const res = await acme(`/keys/${path}`, { method, ...(method === "PUT" && { body: "x" }) });
        const text = await res.text();
        expect([path, method, res.status, xmlValue(text, "Code"), xmlValue(text, "Message")]).toEqual([path, method, 400, "InvalidURI", "Couldn't parse the specified URI."]);
      }
      expect((await acme(`/keys/${path}`, { method: "HEAD" })).status, path).toBe(400);
    }
    expect((await sdk.send(new ListObjectsV2Command({ Bucket: "keys" }))).KeyCount).toBe(1);
  });
});
