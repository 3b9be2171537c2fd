// One operation's load on one endpoint of a started system, as the single-operation tools
// (profile-small.ts, syscalls-small.ts) run it: 4 KiB objects seeded, presigned URLs in a wrk
// request file, a short warm-up; what runWrk needs for the measured run.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { objectKey, presign, seedObjects } from "./presign.ts";
import type { S3Target } from "./presign.ts";
import { runWrk, writeRequestFile } from "./wrk.ts";

export async function prepareSmallLoad(target: S3Target, op: "get" | "put", workDir: string, objects: number): Promise<{ endpoint: string; requestFile: string; bodyFile?: string }> {
  const body = randomBytes(4096);
  const bodyFile = join(workDir, "body.bin");
  await writeFile(bodyFile, body);
  await seedObjects(target, "bench-small", "get", objects, body);
  const method = op === "get" ? "GET" : "PUT";
  const urls = await Promise.all(Array.from({ length: objects }, (_, i) => presign(target, method, `/bench-small/${objectKey(op, i)}`)));
  const requestFile = join(workDir, "requests.txt");
  await writeRequestFile(requestFile, method, urls);
  const load = { endpoint: target.endpoint, requestFile, ...(op === "put" ? { bodyFile } : {}) };
  await runWrk({ ...load, connections: 4, durationS: 2 });
  return load;
}
