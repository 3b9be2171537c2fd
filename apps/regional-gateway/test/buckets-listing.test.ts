import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let acme: ReturnType<typeof s3>;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["photos"]);
  const keys = ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d", "photos/2024/jan.jpg", "é/x"];
  for (const k of keys) await acme(`/photos/${k.split("/").map(encodeURIComponent).join("/")}`, { method: "PUT", body: k });
});
afterAll(() => fi?.destroy());

const tags = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1] ?? "");

describe("buckets", () => {
  it("enforces S3 naming rules", async () => {
    for (const bad of ["ab", "Upper", "has_underscore", "-dash", "192.168.1.1", "a..b", "x".repeat(64)]) {
      const res = await acme(`/${bad}`, { method: "PUT" });
      expect(res.status, bad).toBe(400);
      expect(await res.text()).toContain("<Code>InvalidBucketName</Code>");
    }
  });

  it("creates, heads, re-creates as a no-op (bucket-recreate.test.ts), and only deletes empty buckets", async () => {
    expect((await acme("/scratch", { method: "PUT" })).status).toBe(200);
    expect((await acme("/scratch", { method: "PUT" })).status).toBe(200);
    const head = await acme("/scratch", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("x-amz-bucket-region")).toBe("FI-HEL");
    expect((await acme("/missing-bucket", { method: "HEAD" })).status).toBe(404);
    await acme("/scratch/file", { method: "PUT", body: "x" });
    const notEmpty = await acme("/scratch", { method: "DELETE" });
    expect(notEmpty.status).toBe(409);
    expect(await notEmpty.text()).toContain("<Code>BucketNotEmpty</Code>");
    await acme("/scratch/file", { method: "DELETE" });
    expect((await acme("/scratch", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/scratch", { method: "HEAD" })).status).toBe(404);
    expect(await (await acme("/photos?location")).text()).toContain(">FI-HEL</LocationConstraint>");
  });
});

describe("DeleteBucket with uploads in progress", () => {
  /** Every file under the region's storage directory. */
  const storedFiles = async (): Promise<string[]> => (await readdir(fi.storageDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

  it("deletes the bucket as AWS does, aborting its uploads and removing their parts' bytes", async () => {
    expect((await acme("/half-done", { method: "PUT" })).status).toBe(200);
    const before = new Set(await storedFiles());
    const created = await (await acme("/half-done/big.bin?uploads", { method: "POST" })).text();
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created)![1]!;
    expect((await acme(`/half-done/big.bin?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`, { method: "PUT", body: Buffer.alloc(64 * 1024, 1) })).status).toBe(200);
    const partFiles = (await storedFiles()).filter((f) => !before.has(f));
    expect(partFiles.length).toBeGreaterThan(0);

    expect((await acme("/half-done", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/half-done", { method: "HEAD" })).status).toBe(404);
    const sql = postgresClient(fi.databaseUrl, { max: 1 });
    try {
      expect((await sql`select count(*)::int as n from multipart_uploads where upload_id = ${uploadId}`)[0]!.n).toBe(0);
    } finally {
      await sql.end();
    }
    const left = new Set(await storedFiles());
    expect(partFiles.filter((f) => left.has(f))).toEqual([]);
    // The upload is gone with its bucket: a late part or a Complete finds nothing to add to.
    expect((await acme("/half-done", { method: "PUT" })).status).toBe(200);
    const late = await acme(`/half-done/big.bin?partNumber=2&uploadId=${encodeURIComponent(uploadId)}`, { method: "PUT", body: "late" });
    expect(late.status).toBe(404);
    expect(await late.text()).toContain("<Code>NoSuchUpload</Code>");
  });

  it("still refuses a bucket that holds an object, whatever uploads it has", async () => {
    expect((await acme("/still-full", { method: "PUT" })).status).toBe(200);
    await acme("/still-full/kept", { method: "PUT", body: "x" });
    await acme("/still-full/pending?uploads", { method: "POST" });
    const res = await acme("/still-full", { method: "DELETE" });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("<Code>BucketNotEmpty</Code>");
  });
});

describe("ListObjectsV2", () => {
  it("groups by delimiter into CommonPrefixes", async () => {
    const xml = await (await acme("/photos?list-type=2&delimiter=/")).text();
    expect(tags(xml, "Key")).toEqual(["b", "d"]);
    expect(tags(xml, "Prefix").slice(1)).toEqual(["a/", "c/", "photos/", "é/"]);
    expect(tags(xml, "KeyCount")).toEqual(["6"]);
  });

  it("paginates with max-keys and continuation tokens, each entry once", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const url = `/photos?list-type=2&delimiter=/&max-keys=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`;
      const xml = await (await acme(url)).text();
      seen.push(...tags(xml, "Key"), ...tags(xml, "Prefix").slice(1));
      token = tags(xml, "NextContinuationToken")[0];
      if (tags(xml, "IsTruncated")[0] === "false") break;
      expect(token).toBeDefined();
    }
    expect(seen.sort()).toEqual(["a/", "b", "c/", "d", "photos/", "é/"].sort());
  });

  it("honours prefix, start-after and max-keys=0", async () => {
    const xml = await (await acme("/photos?list-type=2&prefix=a/&delimiter=/")).text();
    expect(tags(xml, "Key")).toEqual(["a/1", "a/2"]);
    expect(tags(xml, "Prefix")).toEqual(["a/", "a/b/"]);
    const after = await (await acme("/photos?list-type=2&start-after=c/1")).text();
    expect(tags(after, "Key")).toEqual(["c/2", "d", "photos/2024/jan.jpg", "é/x"]);
    const zero = await (await acme("/photos?list-type=2&max-keys=0")).text();
    expect(tags(zero, "KeyCount")).toEqual(["0"]);
    expect(tags(zero, "IsTruncated")).toEqual(["false"]);
  });

  it("rejects bad parameters with InvalidArgument, not a 500", async () => {
    const res = await acme("/photos?list-type=2&max-keys=-1");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>InvalidArgument</Code>");
    const forged = await acme("/photos?list-type=2&continuation-token=%%%");
    expect(forged.status).toBe(400);
  });

  it("serves ListObjects v1 with markers", async () => {
    const page1 = await (await acme("/photos?delimiter=/&max-keys=3")).text();
    expect(tags(page1, "IsTruncated")).toEqual(["true"]);
    const marker = tags(page1, "NextMarker")[0]!;
    expect(marker).toBe("c/");
    const page2 = await (await acme(`/photos?delimiter=/&marker=${encodeURIComponent(marker)}`)).text();
    expect([...tags(page2, "Key"), ...tags(page2, "Prefix").slice(1)].sort()).toEqual(["d", "photos/", "é/"]);
  });
});
