import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { md5Hex, taggingXml, tenantBlobCount, xmlBlocks, xmlValue } from "./s3-write-helpers.ts";

let fi: TestRegion;
let acme: ReturnType<typeof s3>;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["tags", "cond"]);
});
afterAll(() => fi?.destroy());

const code = async (res: Response) => xmlValue(await res.text(), "Code");
const tagsOf = async (path: string) =>
  xmlBlocks(await (await acme(`${path}?tagging`)).text(), "Tag").map((t) => [xmlValue(t, "Key"), xmlValue(t, "Value")]);

describe("object tagging", () => {
  it("round-trips PUT, GET and DELETE ?tagging, with x-amz-tagging-count on GET and HEAD", async () => {
    expect((await acme("/tags/report.pdf", { method: "PUT", body: "r" })).status).toBe(200);
    const empty = await acme("/tags/report.pdf?tagging");
    expect(empty.status).toBe(200);
    expect(await empty.text()).toContain("<TagSet></TagSet>");
    expect((await acme("/tags/report.pdf", { method: "HEAD" })).headers.get("x-amz-tagging-count")).toBeNull();

    const put = await acme("/tags/report.pdf?tagging", { method: "PUT", body: taggingXml([["classification", "confidential"], ["owner", "legal team"]]) });
    expect(put.status).toBe(200);
    expect((await tagsOf("/tags/report.pdf")).sort()).toEqual([["classification", "confidential"], ["owner", "legal team"]]);
    expect((await acme("/tags/report.pdf", { method: "HEAD" })).headers.get("x-amz-tagging-count")).toBe("2");
    expect((await acme("/tags/report.pdf")).headers.get("x-amz-tagging-count")).toBe("2");
    // Replacing the set replaces it whole.
    expect((await acme("/tags/report.pdf?tagging", { method: "PUT", body: taggingXml([["stage", "final"]]) })).status).toBe(200);
    expect(await tagsOf("/tags/report.pdf")).toEqual([["stage", "final"]]);

    expect((await acme("/tags/report.pdf?tagging", { method: "DELETE" })).status).toBe(204);
    expect(await tagsOf("/tags/report.pdf")).toEqual([]);
    expect((await acme("/tags/report.pdf")).headers.get("x-amz-tagging-count")).toBeNull();
    expect(await (await acme("/tags/report.pdf")).text()).toBe("r");
  });

  it("enforces S3's tag limits with InvalidTag", async () => {
    expect((await acme("/tags/limits", { method: "PUT", body: "l" })).status).toBe(200);
    const invalid: [string, string][][] = [
      Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"] as [string, string]),
      [["k".repeat(129), "v"]],
      [["k", "v".repeat(257)]],
      [["same", "1"], ["same", "2"]],
      [["", "v"]],
      [["bad*char", "v"]],
    ];
    for (const tags of invalid) {
      const res = await acme("/tags/limits?tagging", { method: "PUT", body: taggingXml(tags) });
      expect(res.status).toBe(400);
      expect(await code(res)).toBe("InvalidTag");
    }
    const atLimits: [string, string][] = [["k".repeat(128), "v".repeat(256)], ...Array.from({ length: 9 }, (_, i) => [`k${i}`, ""] as [string, string])];
    expect((await acme("/tags/limits?tagging", { method: "PUT", body: taggingXml(atLimits) })).status).toBe(200);
    expect(await tagsOf("/tags/limits")).toHaveLength(10);
    expect((await acme("/tags/limits?tagging", { method: "PUT", body: taggingXml([[" padded ", " value "]]) })).status).toBe(200);
    expect(await tagsOf("/tags/limits")).toEqual([[" padded ", " value "]]);
    const malformed = await acme("/tags/limits?tagging", { method: "PUT", body: "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>" });
    expect(await code(malformed)).toBe("MalformedXML");
    const missing = await acme("/tags/missing?tagging", { method: "PUT", body: taggingXml([["a", "b"]]) });
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("NoSuchKey");
    // The bucket's own tag set is another sub-resource (bucket-tagging.test.ts): none here.
    const bucketLevel = await acme("/tags?tagging");
    expect(bucketLevel.status).toBe(404);
    expect(await code(bucketLevel)).toBe("NoSuchTagSet");
  });

  it("takes tags from x-amz-tagging on PutObject; an overwrite without it clears them", async () => {
    const put = await acme("/tags/headed.txt", { method: "PUT", body: "h", headers: { "x-amz-tagging": "project=alpha&owner=j%20doe" } });
    expect(put.status).toBe(200);
    expect((await tagsOf("/tags/headed.txt")).sort()).toEqual([["owner", "j doe"], ["project", "alpha"]]);
    expect((await acme("/tags/headed.txt", { method: "HEAD" })).headers.get("x-amz-tagging-count")).toBe("2");
    const before = await tenantBlobCount(fi.storageDir, "acme-corp");
    const tooMany = await acme("/tags/headed.txt", { method: "PUT", body: "x", headers: { "x-amz-tagging": Array.from({ length: 11 }, (_, i) => `k${i}=v`).join("&") } });
    expect(await code(tooMany)).toBe("InvalidTag");
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before);
    expect((await acme("/tags/headed.txt", { method: "PUT", body: "h2" })).status).toBe(200);
    expect(await tagsOf("/tags/headed.txt")).toEqual([]);
  });

  it("answers GetObjectTagging sorted by key, whatever order jsonb keeps", async () => {
    expect((await acme("/tags/order.txt", { method: "PUT", body: "o", headers: { "x-amz-tagging": "zeta=1&Hello=World&foo=bar" } })).status).toBe(200);
    expect(await tagsOf("/tags/order.txt")).toEqual([["Hello", "World"], ["foo", "bar"], ["zeta", "1"]]);
  });
});

describe("conditional writes", () => {
  it("If-None-Match: * writes only a new key, checked before the bytes are kept", async () => {
    const first = await acme("/cond/once.txt", { method: "PUT", body: "first", headers: { "if-none-match": "*" } });
    expect(first.status).toBe(200);
    const before = await tenantBlobCount(fi.storageDir, "acme-corp");
    const second = await acme("/cond/once.txt", { method: "PUT", body: "second", headers: { "if-none-match": "*" } });
    expect(second.status).toBe(412);
    expect(await code(second)).toBe("PreconditionFailed");
    expect(await (await acme("/cond/once.txt")).text()).toBe("first");
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before);
    const current = await acme("/cond/once.txt", { method: "PUT", body: "x", headers: { "if-none-match": `"${md5Hex("first")}"` } });
    expect(current.status).toBe(412);
    expect(await code(current)).toBe("PreconditionFailed");
    const other = await acme("/cond/once.txt", { method: "PUT", body: "third", headers: { "if-none-match": `"${md5Hex("other")}", W/"nope"` } });
    expect(other.status).toBe(200);
    expect(await (await acme("/cond/once.txt")).text()).toBe("third");
    // An ETag that is not there never blocks creating a key.
    expect((await acme("/cond/fresh.txt", { method: "PUT", body: "x", headers: { "if-none-match": `"${md5Hex("x")}"` } })).status).toBe(200);
  });

  it("If-Match lets exactly one of two racing writers replace the version both saw", async () => {
    const seen = (await acme("/cond/race-match.txt", { method: "PUT", body: "base" })).headers.get("etag")!;
    const race = await Promise.all(["a", "b"].map((body) => acme("/cond/race-match.txt", { method: "PUT", body, headers: { "if-match": seen } })));
    expect(race.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = race.findIndex((r) => r.status === 200);
    expect(await (await acme("/cond/race-match.txt")).text()).toBe(["a", "b"][winner]);
  });

  it("If-Match: * needs a current version (404 NoSuchKey without one); malformed lists are refused", async () => {
    expect(await code(await acme("/cond/star.txt", { method: "PUT", body: "x", headers: { "if-match": "*" } }))).toBe("NoSuchKey");
    expect((await acme("/cond/star.txt", { method: "PUT", body: "x" })).status).toBe(200);
    expect((await acme("/cond/star.txt", { method: "PUT", body: "y", headers: { "if-match": "*" } })).status).toBe(200);
    expect((await acme("/cond/star.txt", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/cond/star.txt", { method: "PUT", body: "z", headers: { "if-match": "*" } })).status).toBe(404);
    const huge = await acme("/cond/star.txt", { method: "PUT", body: "z", headers: { "if-none-match": `"${"a".repeat(2000)}"` } });
    expect(huge.status).toBe(400);
    expect(await code(huge)).toBe("InvalidArgument");
  });

  it("If-None-Match: * lets exactly one of two racing writers create the key", async () => {
    const race = await Promise.all(["a", "b"].map((body) => acme("/cond/race.txt", { method: "PUT", body, headers: { "if-none-match": "*" } })));
    expect(race.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = race.findIndex((r) => r.status === 200);
    expect(await (await acme("/cond/race.txt")).text()).toBe(["a", "b"][winner]);
  });

  it("If-Match writes only over the named version; a missing key is 404", async () => {
    const put = await acme("/cond/versioned.txt", { method: "PUT", body: "v1" });
    const v1 = put.headers.get("etag")!;
    const stale = await acme("/cond/versioned.txt", { method: "PUT", body: "v2", headers: { "if-match": `"${md5Hex("v0")}"` } });
    expect(stale.status).toBe(412);
    expect(await (await acme("/cond/versioned.txt")).text()).toBe("v1");
    const ok = await acme("/cond/versioned.txt", { method: "PUT", body: "v2", headers: { "if-match": v1 } });
    expect(ok.status).toBe(200);
    expect(await (await acme("/cond/versioned.txt")).text()).toBe("v2");
    // v1 is no longer the current version.
    expect((await acme("/cond/versioned.txt", { method: "PUT", body: "v3", headers: { "if-match": v1 } })).status).toBe(412);
    const missing = await acme("/cond/absent.txt", { method: "PUT", body: "x", headers: { "if-match": v1 } });
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("NoSuchKey");
  });

  it("HEAD errors carry status and request id but no body", async () => {
    for (const path of ["/cond/absent.txt", "/nobucket", "/nobucket/key"]) {
      const res = await acme(path, { method: "HEAD" });
      expect(res.status).toBe(404);
      expect(res.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
      expect(await res.text()).toBe("");
    }
    const precondition = await acme("/cond/versioned.txt", { method: "HEAD", headers: { "if-match": `"${md5Hex("nope")}"` } });
    expect(precondition.status).toBe(412);
    expect(await precondition.text()).toBe("");
    expect((await acme("/cond", { method: "HEAD" })).headers.get("x-amz-bucket-region")).toBe("FI-HEL");
  });
});
