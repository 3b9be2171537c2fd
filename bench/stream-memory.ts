// Streams one large object (default 2 GiB) through global router -> regional gateway -> disk
// and back, with each gateway a real process on a Postgres server database, sampling every
// process's resident memory. Prints throughput and peak RSS, with a same-run reference: the
// same bytes written to and read from the same disk by a bare Node pipeline.
//   npm run bench:stream            (2 GiB)      SIZE_MIB=512 npm run bench:stream
//   CPU_PROF_DIR=/tmp/prof npm run bench:stream   (both gateways write a V8 CPU profile there on exit)
// Then the same size as a PARTS-part (default 8) multipart upload: the parts, the time
// CompleteMultipartUpload takes (it only records the parts), and a GET of the whole.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createTestDatabase } from "@s3gw/db/testing";
import { generatedBody, hashStream } from "../test/support/bytes.ts";
import { streamingPut } from "../test/support/http.ts";
import { freePort, REPO_ROOT, spawnNode, waitForHealth } from "../test/support/processes.ts";

const SIZE = Number(process.env.SIZE_MIB ?? 2048) * 1024 * 1024;
/** Parts of the multipart step (each at least 5 MiB, as S3 requires of all but the last). */
const PARTS = Number(process.env.PARTS ?? 8);
const MiB = 1024 * 1024;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Samples RSS of the given processes every 100 ms until stopped; returns the peaks. */
function sampler(pids: Record<string, number>) {
  const peaks: Record<string, number> = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const timer = setInterval(async () => {
    for (const [name, pid] of Object.entries(pids)) peaks[name] = Math.max(peaks[name]!, await rssMiB(pid));
  }, 100);
  return { stop: () => (clearInterval(timer), peaks) };
}

const work = await mkdtemp(join(tmpdir(), "s3gw-bench-"));
const regionalDb = await createTestDatabase("bench_region");
const globalDb = await createTestDatabase("bench_global");
const [gPort, rPort] = [await freePort(), await freePort()];
// Management calls (routing, registration) need the admin token on both layers.
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString("hex")}`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
// The router vouches for the trusted X-Customer-ID header with a forwarding proof under this secret.
const SECRET = `bench-secret-${randomBytes(16).toString("hex")}`;
const topology = JSON.stringify({
  regions: [{ region_id: "FI-HEL", name: "Helsinki", country: "FI", endpoint: `http://127.0.0.1:${rPort}`, provider: { provider_id: "fi-hel-fs", type: "fs", country: "FI" } }],
});
const profile: Record<string, string> = process.env.CPU_PROF_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.CPU_PROF_DIR}` } : {};
const region = spawnNode("apps/regional-gateway/src/server.ts", {
  ...profile,
  REGION_ID: "FI-HEL", PORT: String(rPort), DATABASE_URL: regionalDb.url, STORAGE_DIR: join(work, "objects"),
  TOPOLOGY_JSON: topology, TRUSTED_CUSTOMER_HEADER: "true", LOG_LEVEL: "warn", ADMIN_TOKEN,
  ALLOW_STANDALONE_REGISTRATION: "true", GATEWAY_SHARED_SECRET: SECRET, // the bench registers its customer directly
});
const global = spawnNode("apps/global-router/src/server.ts", { ...profile, PORT: String(gPort), DATABASE_URL: globalDb.url, TOPOLOGY_JSON: topology, LOG_LEVEL: "warn", ADMIN_TOKEN, TRUSTED_CUSTOMER_HEADER: "true", GATEWAY_SHARED_SECRET: SECRET });
const rows: string[][] = [];
try {
  const g = `http://127.0.0.1:${gPort}`;
  const r = `http://127.0.0.1:${rPort}`;
  await waitForHealth(r);
  await waitForHealth(g);
  const routed = await fetch(`${g}/routing/customers/bench?region_id=FI-HEL`, { method: "POST", headers: admin });
  if (routed.status !== 201) throw new Error(`routing failed: ${routed.status} ${await routed.text()}`);
  const registered = await fetch(`${r}/api/customers/bench/register`, {
    method: "POST", headers: { "content-type": "application/json", ...admin },
    body: JSON.stringify({ customer_name: "Bench", country: "FI", data_residency_requirement: "strict", primary_contact_email: "b@x.fi", compliance_officer_email: "d@x.fi" }),
  });
  if (registered.status !== 201) throw new Error(`registration failed: ${registered.status} ${await registered.text()}`);
  await fetch(`${g}/s3/bench`, { method: "PUT", headers: { "x-customer-id": "bench" } });
  const pids = { "global-router": global.child.pid!, "regional-gateway": region.child.pid! };
  const idle = Object.fromEntries(await Promise.all(Object.entries(pids).map(async ([k, p]) => [k, await rssMiB(p)] as const)));

  // Reference: the same generated bytes to and from the same disk, no HTTP, no gateway.
  let t = performance.now();
  const ref = generatedBody(SIZE, 7);
  await pipeline(ref.stream, createWriteStream(join(work, "reference.bin")));
  const refWrite = SIZE / MiB / ((performance.now() - t) / 1000);
  t = performance.now();
  const refHash = createHash("sha256");
  await pipeline(createReadStream(join(work, "reference.bin")), refHash);
  const refRead = SIZE / MiB / ((performance.now() - t) / 1000);
  await rm(join(work, "reference.bin"));

  const s = sampler(pids);
  t = performance.now();
  const body = generatedBody(SIZE, 7);
  const put = await streamingPut(`${g}/s3/bench/big.bin`, { "x-customer-id": "bench" }, body.stream, SIZE);
  if (put.status !== 200) throw new Error(`PUT failed: ${put.status} ${put.text}`);
  const putRate = SIZE / MiB / ((performance.now() - t) / 1000);
  const putPeaks = s.stop();

  const s2 = sampler(pids);
  t = performance.now();
  const got = await fetch(`${g}/s3/bench/big.bin`, { headers: { "x-customer-id": "bench" } });
  const { sha256, size } = await hashStream(got.body!);
  const getRate = SIZE / MiB / ((performance.now() - t) / 1000);
  const getPeaks = s2.stop();
  if (size !== SIZE || sha256 !== body.sha256()) throw new Error("GET returned different bytes");

  // The same size as a multipart upload: the parts, then CompleteMultipartUpload (which must
  // not touch the bytes: it only records the parts as the object), then a GET of the whole.
  const partSize = Math.max(5 * MiB, Math.ceil(SIZE / PARTS));
  const created = await fetch(`${g}/s3/bench/parts.bin?uploads`, { method: "POST", headers: { "x-customer-id": "bench" } });
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())?.[1];
  if (!uploadId) throw new Error(`CreateMultipartUpload failed: ${created.status}`);
  const whole = createHash("sha256");
  const etags: string[] = [];
  const s3 = sampler(pids);
  t = performance.now();
  for (let i = 0, at = 0; at < SIZE; i++, at += partSize) {
    const n = Math.min(partSize, SIZE - at);
    const part = generatedBody(n, 100 + i);
    const tapped = part.stream.pipe(new Transform({ transform: (chunk: Buffer, _e, done) => (whole.update(chunk), done(null, chunk)) }));
    const res = await streamingPut(`${g}/s3/bench/parts.bin?partNumber=${i + 1}&uploadId=${uploadId}`, { "x-customer-id": "bench" }, tapped, n);
    if (res.status !== 200) throw new Error(`UploadPart ${i + 1} failed: ${res.status} ${res.text}`);
    etags.push(String(res.headers.etag));
  }
  const partsRate = SIZE / MiB / ((performance.now() - t) / 1000);
  const partPeaks = s3.stop();
  t = performance.now();
  const completeXml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
  const completed = await fetch(`${g}/s3/bench/parts.bin?uploadId=${uploadId}`, { method: "POST", headers: { "x-customer-id": "bench" }, body: completeXml });
  const completeMs = performance.now() - t;
  if (completed.status !== 200) throw new Error(`CompleteMultipartUpload failed: ${completed.status} ${await completed.text()}`);
  const s4 = sampler(pids);
  t = performance.now();
  const gotParts = await fetch(`${g}/s3/bench/parts.bin`, { headers: { "x-customer-id": "bench" } });
  const partsGot = await hashStream(gotParts.body!);
  const partsGetRate = SIZE / MiB / ((performance.now() - t) / 1000);
  const partsGetPeaks = s4.stop();
  if (partsGot.size !== SIZE || partsGot.sha256 !== whole.digest("hex")) throw new Error("GET of the multipart object returned different bytes");

  const f = (n: number) => n.toFixed(0);
  console.log(`\nStreaming ${SIZE / MiB} MiB through global router -> regional gateway -> fs (Postgres server metadata)\n`);
  console.log("| step | MiB/s | vs bare disk pipeline | global RSS idle / peak (MiB) | regional RSS idle / peak (MiB) |");
  console.log("|---|---:|---:|---:|---:|");
  rows.push(["PUT via global", f(putRate), `${(putRate / refWrite).toFixed(2)}x of ${f(refWrite)}`, `${f(idle["global-router"]!)} / ${f(putPeaks["global-router"]!)}`, `${f(idle["regional-gateway"]!)} / ${f(putPeaks["regional-gateway"]!)}`]);
  rows.push(["GET via global", f(getRate), `${(getRate / refRead).toFixed(2)}x of ${f(refRead)}`, `${f(idle["global-router"]!)} / ${f(getPeaks["global-router"]!)}`, `${f(idle["regional-gateway"]!)} / ${f(getPeaks["regional-gateway"]!)}`]);
  rows.push([`${etags.length} UploadParts via global`, f(partsRate), `${(partsRate / refWrite).toFixed(2)}x of ${f(refWrite)}`, `${f(idle["global-router"]!)} / ${f(partPeaks["global-router"]!)}`, `${f(idle["regional-gateway"]!)} / ${f(partPeaks["regional-gateway"]!)}`]);
  rows.push([`GET of the ${etags.length}-part object`, f(partsGetRate), `${(partsGetRate / refRead).toFixed(2)}x of ${f(refRead)}`, `${f(idle["global-router"]!)} / ${f(partsGetPeaks["global-router"]!)}`, `${f(idle["regional-gateway"]!)} / ${f(partsGetPeaks["regional-gateway"]!)}`]);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log(`\nCompleteMultipartUpload of ${etags.length} parts (${SIZE / MiB} MiB): ${completeMs.toFixed(0)} ms`);
  console.log(`SHA-256 round trips: ok (${sha256.slice(0, 16)}..., ${partsGot.sha256.slice(0, 16)}...)`);
} finally {
  global.child.kill("SIGTERM");
  region.child.kill("SIGTERM");
  await new Promise((res) => setTimeout(res, 1500));
  await regionalDb.drop().catch(() => {});
  await globalDb.drop().catch(() => {});
  await rm(work, { recursive: true, force: true });
}
void REPO_ROOT;
