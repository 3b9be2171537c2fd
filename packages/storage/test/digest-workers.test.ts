import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { DigestWorkers, FsProvider, InlineDigester, TenantStorage } from "../src/index.ts";

const workers = new DigestWorkers({ workers: 2, ringBytes: 256 * 1024, minBytes: 1 });
afterAll(() => workers.close());

const expected = (bytes: Buffer) => ({ md5: createHash("md5").update(bytes).digest("hex"), sha256: createHash("sha256").update(bytes).digest("hex") });

/** Feeds `bytes` in chunks of random sizes (some larger than the ring), honouring backpressure. */
async function digestOf(bytes: Buffer, seed: number) {
  const d = workers.digester(bytes.length);
  let at = 0;
  let s = seed;
  while (at < bytes.length) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const n = Math.min(bytes.length - at, 1 + (s % (600 * 1024)));
    const wait = d.update(bytes.subarray(at, at + n));
    if (wait) await wait;
    at += n;
  }
  const out = await d.digests();
  return { md5: out.md5.toString("hex"), sha256: out.sha256.toString("hex") };
}

describe("DigestWorkers", () => {
  it("computes exactly createHash's MD5 and SHA-256, whatever the chunking, sessions in parallel and beyond the workers", async () => {
    const bodies = [randomBytes(3 * 1024 * 1024 + 17), randomBytes(1), Buffer.alloc(0), randomBytes(700 * 1024), randomBytes(2 * 1024 * 1024)];
    const got = await Promise.all(bodies.map((b, i) => digestOf(b, i + 1)));
    got.forEach((g, i) => expect(g).toEqual(expected(bodies[i]!)));
  });

  it("frees a worker after an abort: the next sessions on it are correct", async () => {
    for (let i = 0; i < 3; i++) {
      const d = workers.digester(10);
      d.update(randomBytes(100 * 1024));
      d.abort();
    }
    const body = randomBytes(1024 * 1024);
    expect(await digestOf(body, 9)).toEqual(expected(body));
  });

  it("hashes inline with no workers, for small bodies and for bodies of unknown size", async () => {
    const none = new DigestWorkers({ workers: 0 });
    for (const d of [none.digester(1 << 30), workers.digester(undefined), new DigestWorkers().digester(10)]) expect(d).toBeInstanceOf(InlineDigester);
    await none.close();
  });

  it("hashes a provider's large put on the workers with the same digests as inline", async () => {
    const root = await mkdtemp(join(tmpdir(), "s3gw-digest-"));
    try {
      const location = { providerId: "t", regionId: "FI-HEL", country: "FI" };
      const fs = new FsProvider(root, location, { digests: workers });
      await fs.init();
      const body = randomBytes(5 * 1024 * 1024 + 3);
      const blob = await new TenantStorage(fs, "acme-corp").put(Readable.from([body.subarray(0, 1000), body.subarray(1000)]), { expectedSize: body.length });
      expect({ md5: blob.md5Hex, sha256: blob.sha256Hex }).toEqual(expected(body));
      // A body shorter than declared is refused, and the workers are released for the next one.
      await expect(new TenantStorage(fs, "acme-corp").put(Readable.from([body.subarray(0, 100)]), { expectedSize: body.length })).rejects.toMatchObject({ code: "IncompleteBody" });
      const again = await new TenantStorage(fs, "acme-corp").put(Readable.from([body]), { expectedSize: body.length });
      expect(again.sha256Hex).toBe(blob.sha256Hex);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
