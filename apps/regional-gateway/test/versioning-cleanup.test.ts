import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

/**
 * Emptying a versioned bucket the way s3-tests' cleanup (and many tools) does: list a page of
 * versions, delete that page, ask for the next page after it. The next page's version-id-marker
 * then names a version that was just deleted; answering that with 400 InvalidArgument left every
 * such bucket undeletable and failed the next test's setup.
 */
let fi: TestRegion;
let acme: Awaited<ReturnType<typeof registerWithBuckets>>;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "cleanup-co", ["many-versions"]);
  const enabled = `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`;
  expect((await acme("/many-versions?versioning", { method: "PUT", body: enabled })).status).toBe(200);
  for (const key of ["a", "b", "c"]) {
    for (let v = 0; v < 3; v++) expect((await acme(`/many-versions/${key}`, { method: "PUT", body: `${key}${v}` })).status).toBe(200);
  }
  expect((await acme("/many-versions/b", { method: "DELETE" })).status).toBe(204); // a delete marker too
}, 60_000);
afterAll(() => fi?.destroy());

const entries = (xml: string) =>
  [...xml.matchAll(/<(?:Version|DeleteMarker)><Key>([^<]*)<\/Key><VersionId>([^<]*)<\/VersionId>/g)].map((m) => ({ key: m[1]!, versionId: m[2]! }));
const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

it("pages through versions while deleting each page, leaving nothing behind, and the bucket deletes", async () => {
  let query = "max-keys=2";
  let pages = 0;
  let deleted = 0;
  for (;;) {
    const listed = await acme(`/many-versions?versions&${query}`);
    expect(listed.status).toBe(200);
    const xml = await listed.text();
    const page = entries(xml);
    if (page.length > 0) {
      const body = `<Delete><Quiet>true</Quiet>${page.map((e) => `<Object><Key>${e.key}</Key><VersionId>${e.versionId}</VersionId></Object>`).join("")}</Delete>`;
      const del = await acme("/many-versions?delete", { method: "POST", body, headers: { "content-md5": createHash("md5").update(body).digest("base64") } });
      expect(del.status).toBe(200);
      expect(await del.text()).not.toContain("<Error>");
      deleted += page.length;
    }
    pages++;
    if (tag(xml, "IsTruncated") !== "true") break;
    query = `max-keys=2&key-marker=${encodeURIComponent(tag(xml, "NextKeyMarker")!)}&version-id-marker=${encodeURIComponent(tag(xml, "NextVersionIdMarker")!)}`;
    expect(pages).toBeLessThan(20);
  }
  expect(deleted).toBe(10); // 3 keys × 3 versions, and b's delete marker
  expect(entries(await (await acme("/many-versions?versions")).text())).toEqual([]);
  expect((await acme("/many-versions", { method: "DELETE" })).status).toBe(204);
});

it("still refuses a malformed version-id-marker", async () => {
  expect((await acme("/nothing-here", { method: "PUT" })).status).toBe(200);
  const res = await acme("/nothing-here?versions&key-marker=a&version-id-marker=not%20an%20id");
  expect(res.status).toBe(400);
  expect(await res.text()).toContain("<Code>InvalidArgument</Code>");
});
