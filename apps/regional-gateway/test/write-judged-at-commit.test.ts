// A small unconditional PUT skips the lookup before its bytes are accepted (issue 9): only the
// commit, under the key's lock, judges it. That must refuse exactly what the early check did —
// an overwrite of a held or retained object, a failed condition — and leave no bytes behind.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let acme: ReturnType<typeof s3>;

/** Every blob file under the region's storage directory. */
async function blobs(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else if (!e.name.startsWith(".")) out.push(join(dir, e.name));
    }
  };
  await walk(fi.storageDir);
  return out.sort();
}

const hold = (key: string) => fetch(`${fi.url}/api/holds`, {
  method: "PUT", headers: { ...adminAuth, "content-type": "application/json" },
  body: JSON.stringify({ customer_id: "acme-corp", bucket: "plain", key, reason: "litigation" }),
});

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["plain"]);
});
afterAll(() => fi?.destroy());

it("an overwrite of a held object is refused at the commit, the object unchanged and the refused bytes gone", async () => {
  expect((await acme("/plain/held.txt", { method: "PUT", body: "original" })).status).toBe(200);
  expect((await hold("held.txt")).status).toBe(200);
  const before = await blobs();

  const res = await acme("/plain/held.txt", { method: "PUT", body: "replacement" });
  expect(res.status).toBe(403);
  expect(await res.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Object is protected: legal hold: litigation/);
  expect(await (await acme("/plain/held.txt")).text()).toBe("original");
  expect(await blobs()).toEqual(before);
});

it("a condition is still judged before the bytes (If-None-Match: * over an existing key is 412)", async () => {
  expect((await acme("/plain/cond.txt", { method: "PUT", body: "first" })).status).toBe(200);
  const res = await acme("/plain/cond.txt", { method: "PUT", body: "second", headers: { "if-none-match": "*" } });
  expect(res.status).toBe(412);
  expect(await (await acme("/plain/cond.txt")).text()).toBe("first");
});

it("sixteen concurrent small overwrites of one key leave exactly one object and one blob for it", async () => {
  const before = (await blobs()).length;
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => acme("/plain/race.txt", { method: "PUT", body: `body-${i}` })));
  expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
  const body = await (await acme("/plain/race.txt")).text();
  expect(body).toMatch(/^body-\d+$/);
  // Replaced blobs are removed after each commit; one new blob remains for the key.
  await expect.poll(async () => (await blobs()).length, { timeout: 5000 }).toBe(before + 1);
});
