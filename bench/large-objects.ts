// `npm run bench:large` (issue 9): one PUT and one GET of SIZE_MIB (default 1024) MiB through the
// gateway on a Postgres server via the global endpoint (SigV4 presigned, UNSIGNED-PAYLOAD), against
// Ceph RGW and a bare Node pipeline of the same bytes over HTTP (bench/reference-server.ts), with
// each process's peak RSS; then a multipart upload of the same size (MULTIPART_PARTS parts, default 8)
// timing CompleteMultipartUpload alone, and a GET of the result. Every body is checked by SHA-256.
// Writes bench/results/large-<date>.md.
//
// Environment: SIZE_MIB (1024), MULTIPART_PARTS (8), BENCH_SYSTEMS ("reference,rgw,postgres,postgres-plain"; postgres-plain: ENCRYPT_OBJECTS=false),
// BENCH_LOG_LEVEL (warn), BENCH_RGW_KEEP, BENCH_CPU_PROF_DIR (as in bench:small).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../test/support/processes.ts";
import { presign, presignWithQuery, s3Send, type S3Target } from "./lib/presign.ts";
import { readRss, type RssReading, RssSampler } from "./lib/proc.ts";
import { rgwVersion } from "./lib/rgw.ts";
import { Cleanups, machine, measureEach, revision, say, starters } from "./lib/run.ts";
import { fetchHashed, PatternBody, send } from "./lib/stream-http.ts";
import type { RunningSystem } from "./lib/system.ts";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.SIZE_MIB ?? 1024) * MiB;
const PARTS = Number(process.env.MULTIPART_PARTS ?? 8);
const PART = SIZE / PARTS;
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? "reference,rgw,postgres,postgres-plain").split(",");
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "warn";
const BUCKET = "bench-large";
if (!Number.isInteger(PART / MiB) || PART < 5 * MiB) throw new Error("SIZE_MIB / MULTIPART_PARTS must be a whole number of MiB, at least 5");

interface Transfer { mibps: number; ms: number; peak: RssReading }
interface Multipart { partsMibps: number; completeMs: number; get: Transfer; partsPeak: RssReading }
interface Result { name: string; label: string; idle?: RssReading; put?: Transfer; get?: Transfer; multipart?: Multipart; unavailable?: string }

const started = new Date();
const work = await mkdtemp(join(tmpdir(), "s3gw-bench-large-"));
const cleanups = new Cleanups();
cleanups.onSignals(() => rm(work, { recursive: true, force: true }));
const body = new PatternBody(SIZE);
const expected = body.sha256();

async function timed(pids: Record<string, number>, what: () => Promise<number>): Promise<Transfer> {
  const sampler = new RssSampler(pids);
  let ms: number;
  try {
    ms = await what();
  } finally {
    await sampler.stop();
  }
  return { ms, mibps: SIZE / MiB / (ms / 1000), peak: await sampler.stop() };
}

async function getChecked(url: string, what: string): Promise<number> {
  const got = await fetchHashed(url);
  if (got.status !== 200) throw new Error(`${what}: GET answered ${got.status} ${got.text}`);
  if (got.size !== SIZE || got.sha256 !== expected) throw new Error(`${what}: GET returned other bytes (${got.size} bytes, sha256 ${got.sha256.slice(0, 16)}...)`);
  return got.ms;
}

async function multipart(target: S3Target, pids: Record<string, number>): Promise<Multipart> {
  const path = `/${BUCKET}/multipart.bin`;
  const created = await send(await presignWithQuery(target, "POST", path, { uploads: "" }), "POST", undefined);
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)?.[1];
  if (created.status !== 200 || !uploadId) throw new Error(`CreateMultipartUpload answered ${created.status} ${created.text.slice(0, 300)}`);
  const etags: string[] = [];
  const sampler = new RssSampler(pids);
  let partsMs = 0;
  let partsPeak: RssReading;
  try {
    for (let i = 0; i < PARTS; i++) {
      const url = await presignWithQuery(target, "PUT", path, { partNumber: String(i + 1), uploadId });
      const r = await send(url, "PUT", { pattern: body, start: i * PART, end: (i + 1) * PART });
      if (r.status !== 200) throw new Error(`UploadPart ${i + 1} answered ${r.status} ${r.text.slice(0, 300)}`);
      etags.push(String(r.headers.etag));
      partsMs += r.ms;
    }
  } finally {
    partsPeak = await sampler.stop();
  }
  const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
  const completeUrl = await presignWithQuery(target, "POST", path, { uploadId });
  const done = await send(completeUrl, "POST", Buffer.from(xml));
  // S3 may answer 200 and still report an error in the body.
  if (done.status !== 200 || /<Error>/.test(done.text)) throw new Error(`CompleteMultipartUpload answered ${done.status} ${done.text.slice(0, 300)}`);
  const get = await timed(pids, async () => getChecked(await presign(target, "GET", path), "multipart object"));
  return { partsMibps: SIZE / MiB / (partsMs / 1000), completeMs: done.ms, get, partsPeak };
}

async function measure(system: RunningSystem): Promise<Result> {
  const e = system.endpoints[0]!;
  const pids = await system.pids();
  await s3Send(e.target, "PUT", `/${BUCKET}`);
  const result: Result = { name: system.name, label: e.label, idle: await readRss(pids) };
  say(`${e.id}: PUT ${SIZE / MiB} MiB`);
  result.put = await timed(pids, async () => {
    const r = await send(await presign(e.target, "PUT", `/${BUCKET}/big.bin`), "PUT", { pattern: body, start: 0, end: SIZE });
    if (r.status !== 200) throw new Error(`PUT answered ${r.status} ${r.text.slice(0, 300)}`);
    return r.ms;
  });
  say(`${e.id}: GET`);
  result.get = await timed(pids, async () => getChecked(await presign(e.target, "GET", `/${BUCKET}/big.bin`), "single PUT object"));
  if (e.id !== "reference") {
    say(`${e.id}: multipart, ${PARTS} parts of ${PART / MiB} MiB`);
    result.multipart = await multipart(e.target, pids);
  }
  return result;
}

const results: Result[] = [];
let loads: string[] = [];
try {
  loads = await measureEach({
    systems: SYSTEMS, start: starters({ workDir: work, logLevel: LOG_LEVEL, cleanups }), cleanups, results, measure,
    unavailable: (reason) => ({ name: "Ceph RGW", label: "Ceph RGW", unavailable: reason }),
  });
} finally {
  await cleanups.run();
  await rm(work, { recursive: true, force: true });
}

const f0 = (x: number) => x.toFixed(0);
const peaks = (r: RssReading) => Object.entries(r.each).map(([k, v]) => `${k} ${f0(v)}`).join(", ");
const ref = results.find((r) => r.name.startsWith("bare Node"));
const rgw = results.find((r) => r.name === "Ceph RGW" && !r.unavailable);
const gw = results.find((r) => r.name === "gateway, Postgres server");
const plain = results.find((r) => r.name === "gateway, Postgres server, no encryption");
const lines = [
  `## Large objects (${SIZE / MiB} MiB, one request each), ${started.toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Command: \`npm run bench:large\` (SIZE_MIB=${SIZE / MiB}, MULTIPART_PARTS=${PARTS}, BENCH_LOG_LEVEL=${LOG_LEVEL}). Machine: ${machine()}.${rgw ? ` RGW: ${rgwVersion()}.` : ""} Code: ${revision()}. ` +
    `Load average (1 min) when each started: ${loads.join(", ")}. Whole run: ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min. ` +
    "SigV4 presigned URLs with UNSIGNED-PAYLOAD; every GET is checked by SHA-256; RSS is VmRSS sampled every 100 ms (MiB).",
  "",
  "| system | PUT MiB/s | GET MiB/s | peak RSS during PUT | peak RSS during GET |",
  "|---|---:|---:|---|---|",
  ...results.map((r) => r.unavailable
    ? `| ${r.name}: not available (${r.unavailable}) | — | — | — | — |`
    : `| ${r.label} | ${f0(r.put!.mibps)} | ${f0(r.get!.mibps)} | ${peaks(r.put!.peak)} | ${peaks(r.get!.peak)} |`),
  "",
  `### Multipart upload, ${PARTS} × ${PART / MiB} MiB`,
  "",
  "| system | parts uploaded at | CompleteMultipartUpload | GET of the result | peak RSS (parts / GET) |",
  "|---|---:|---:|---:|---|",
  ...results.filter((r) => r.multipart).map((r) => {
    const m = r.multipart!;
    return `| ${r.label} | ${f0(m.partsMibps)} MiB/s | ${m.completeMs.toFixed(0)} ms | ${f0(m.get.mibps)} MiB/s | ${peaks(m.partsPeak)} / ${peaks(m.get.peak)} |`;
  }),
  "",
  "### Targets (issues 9 and 11)",
  "",
  "| measure | value | target | met |",
  "|---|---|---|---|",
];
const row = (measure: string, value: number | undefined, target: number, unit: "x" | "ms" | "MiB", below = false) => {
  if (value === undefined || !Number.isFinite(value)) return lines.push(`| ${measure} | not measured | ${below ? "<" : "≥"} ${unit === "x" ? `${target}×` : `${target} ${unit}`} | — |`);
  const met = below ? value < target : value >= target;
  lines.push(`| ${measure} | ${unit === "x" ? `${value.toFixed(2)}×` : `${f0(value)} ${unit}`} | ${below ? "<" : "≥"} ${unit === "x" ? `${target}×` : `${target} ${unit}`} | ${met ? "met" : "**not met**"} |`);
};
if (gw?.put && gw.get) {
  row("PUT via global ÷ RGW PUT", rgw?.put && gw.put.mibps / rgw.put.mibps, 1.0, "x");
  row("GET via global ÷ RGW GET", rgw?.get && gw.get.mibps / rgw.get.mibps, 1.0, "x");
  row("PUT via global ÷ bare Node pipeline", ref?.put && gw.put.mibps / ref.put.mibps, 0.8, "x");
  row("GET via global ÷ bare Node pipeline", ref?.get && gw.get.mibps / ref.get.mibps, 0.8, "x");
  const all = [gw.put.peak, gw.get.peak, ...(gw.multipart ? [gw.multipart.partsPeak, gw.multipart.get.peak] : [])];
  for (const name of Object.keys(gw.put.peak.each)) row(`${name} peak RSS while streaming`, Math.max(...all.map((p) => p.each[name] ?? 0)), 256, "MiB", true);
  row(`CompleteMultipartUpload of ${SIZE / MiB} MiB`, gw.multipart?.completeMs, 1000, "ms", true);
  // Issue 11: what encryption at rest costs, the same stack storing plaintext measured in this run.
  row("encrypted PUT ÷ unencrypted PUT (via global)", plain?.put && gw.put.mibps / plain.put.mibps, 0.85, "x");
  row("encrypted GET ÷ unencrypted GET (via global)", plain?.get && gw.get.mibps / plain.get.mibps, 0.85, "x");
}
const report = `${lines.join("\n")}\n`;
console.log(`\n${report}`);
const out = join(REPO_ROOT, "bench", "results", `large-${started.toISOString().slice(0, 10)}.md`);
await mkdir(join(REPO_ROOT, "bench", "results"), { recursive: true });
await writeFile(out, report);
say(`written to ${out}`);
