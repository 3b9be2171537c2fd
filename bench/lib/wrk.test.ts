// The measuring tool itself: refused requests are errors, never throughput; the reference server
// stores and returns bytes; wrk's numbers come through. Real sockets, a real wrk.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectKey, seedObjects, type S3Target } from "./presign.ts";
import { Cleanups } from "./run.ts";
import { startReference } from "./reference.ts";
import { runWrk, WRK, writeRequestFile } from "./wrk.ts";

describe.skipIf(!existsSync(WRK))("wrk over presigned requests", () => {
  let work: string;
  let target: S3Target;
  const cleanups = new Cleanups();
  const body = Buffer.alloc(4096, 7);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "s3gw-bench-test-"));
    const system = await startReference({ workDir: work, cleanup: cleanups.add });
    target = system.endpoints[0]!.target;
    await seedObjects(target, "b1", "get", 3, body);
    await writeFile(join(work, "body.bin"), body);
  });
  afterAll(async () => {
    await cleanups.run();
    await rm(work, { recursive: true, force: true });
  });

  it("counts 2xx answers as throughput", async () => {
    const file = join(work, "get.txt");
    await writeRequestFile(file, "GET", [0, 1, 2].map((i) => `${target.endpoint}/b1/${objectKey("get", i)}?X-Amz-Signature=x`));
    const r = await runWrk({ endpoint: target.endpoint, requestFile: file, connections: 2, durationS: 1 });
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(10);
    expect(r.okPerSecond).toBeGreaterThan(10);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
  });

  it("reports refused requests as errors with their status and body, and never as throughput", async () => {
    const file = join(work, "missing.txt");
    await writeRequestFile(file, "GET", [`${target.endpoint}/b1/absent`, `${target.endpoint}/b1/${objectKey("get", 0)}`]);
    const r = await runWrk({ endpoint: target.endpoint, requestFile: file, connections: 1, durationS: 1 });
    expect(r.errors).toBeGreaterThan(0);
    expect(r.errorDetail).toMatch(/^\d+ × 404$/);
    // Half the requests were refused: only the other half counts.
    expect(r.okPerSecond).toBeLessThan(r.requests * 0.6);
  });

  it("PUTs the body file to every key in turn (temp file, fsync, rename on the reference server)", async () => {
    const file = join(work, "put.txt");
    await writeRequestFile(file, "PUT", [0, 1, 2, 3].map((i) => `${target.endpoint}/b1/${objectKey("put", i)}`));
    const r = await runWrk({ endpoint: target.endpoint, requestFile: file, bodyFile: join(work, "body.bin"), connections: 2, durationS: 1 });
    expect(r.errors).toBe(0);
    const stored = (await readdir(join(work, "reference", "b1"))).filter((f) => f.startsWith("put-"));
    expect(stored.sort()).toEqual([0, 1, 2, 3].map((i) => objectKey("put", i)));
  });
});
