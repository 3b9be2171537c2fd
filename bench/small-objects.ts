// `npm run bench:small` (issue 9): small-object throughput and latency of the gateway, started
// both ways (Postgres server; the embedded default of `npm start`), against references measured
// in the same run (a bare Node HTTP server doing the same file I/O, and Ceph RGW when it can be
// started). Load: wrk, 1 thread, N keep-alive connections, cycling through SigV4 presigned URLs
// (UNSIGNED-PAYLOAD), one per 4 KiB object. Prints markdown tables and writes them to
// bench/results/small-<date>.md.
//
// Environment: BENCH_OBJECTS (200), BENCH_DURATION_S (6), BENCH_CONNECTIONS ("1,4,16,64"),
// BENCH_WARMUP_S (2), BENCH_LOG_LEVEL (warn, for every gateway process),
// BENCH_SYSTEMS ("reference,rgw,postgres,postgres-2,postgres-plain,embedded"; postgres-plain: ENCRYPT_OBJECTS=false;
// postgres-2: two FI-HEL gateway processes on the one database, the region's endpoints behind the router), BENCH_RGW_KEEP (keep RGW's state),
// BENCH_CPU_PROF_DIR (gateway processes write V8 CPU profiles there, for `--cpu-prof` summaries).
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../test/support/processes.ts";
import { objectKey, presign, seedObjects } from "./lib/presign.ts";
import { cpuPerRequest, readCpu, readRss, RssSampler } from "./lib/proc.ts";
import { concurrencyTable, cpuTable, errorsSection, memoryTable, targetsTable, type SystemResult } from "./lib/report.ts";
import { rgwVersion } from "./lib/rgw.ts";
import { Cleanups, machine, measureEach, revision, say, starters } from "./lib/run.ts";
import type { RunningSystem } from "./lib/system.ts";
import { runWrk, writeRequestFile } from "./lib/wrk.ts";

const N = Number(process.env.BENCH_OBJECTS ?? 200);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 2);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "1,4,16,64").split(",").map(Number);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "warn";
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? "reference,rgw,postgres,postgres-2,postgres-plain,embedded").split(",");
const OBJECT_SIZE = 4096;
const BUCKET = "bench-small";
if (!(DURATION_S > 0 && DURATION_S <= 10)) throw new Error("BENCH_DURATION_S must be within 1..10 (every load is bounded)");
if (!CONNECTIONS.every((c) => Number.isInteger(c) && c >= 1 && c <= 256)) throw new Error("BENCH_CONNECTIONS: integers 1..256");

const started = new Date();
const work = await mkdtemp(join(tmpdir(), "s3gw-bench-small-"));
const body = randomBytes(OBJECT_SIZE);
await writeFile(join(work, "body.bin"), body);

const cleanups = new Cleanups();
cleanups.onSignals(() => rm(work, { recursive: true, force: true }));

/** One load, and the CPU each of the system's processes spent per successful request during it. */
async function withCpu<T extends { okPerSecond: number }>(system: RunningSystem, load: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const pids = system.cpuPids ? await system.cpuPids() : Object.fromEntries(Object.entries(await system.pids()).map(([k, v]) => [k, [v]]));
  const before = await readCpu(pids);
  const result = await load();
  return [result, cpuPerRequest(before, await readCpu(pids), result.okPerSecond * DURATION_S)];
}

async function measure(system: RunningSystem): Promise<SystemResult> {
  const seedAt = system.endpoints[0]!.target;
  say(`${system.name}: seeding ${N} objects of ${OBJECT_SIZE} bytes`);
  await seedObjects(seedAt, BUCKET, "get", N, body);
  const files = new Map<string, { get: string; put: string }>();
  for (const e of system.endpoints) {
    const get = join(work, `${e.id}-get.txt`);
    const put = join(work, `${e.id}-put.txt`);
    const keys = Array.from({ length: N }, (_, i) => i);
    await writeRequestFile(get, "GET", await Promise.all(keys.map((i) => presign(e.target, "GET", `/${BUCKET}/${objectKey("get", i)}`))));
    await writeRequestFile(put, "PUT", await Promise.all(keys.map((i) => presign(e.target, "PUT", `/${BUCKET}/${objectKey("put", i)}`))));
    files.set(e.id, { get, put });
  }
  const pids = await system.pids();
  await new Promise((r) => setTimeout(r, 1000));
  const idle = await readRss(pids);
  const result: SystemResult = { name: system.name, endpoints: system.endpoints.map((e) => ({ id: e.id, label: e.label, runs: new Map() })), idle };
  const sampler = new RssSampler(pids);
  try {
    for (const e of system.endpoints) {
      const f = files.get(e.id)!;
      if (WARMUP_S > 0) {
        await runWrk({ endpoint: e.target.endpoint, requestFile: f.put, bodyFile: join(work, "body.bin"), connections: 4, durationS: WARMUP_S });
        await runWrk({ endpoint: e.target.endpoint, requestFile: f.get, connections: 4, durationS: WARMUP_S });
      }
    }
    for (const c of CONNECTIONS) {
      for (const [i, e] of system.endpoints.entries()) {
        const f = files.get(e.id)!;
        const [get, getCpu] = await withCpu(system, () => runWrk({ endpoint: e.target.endpoint, requestFile: f.get, connections: c, durationS: DURATION_S }));
        const [put, putCpu] = await withCpu(system, () => runWrk({ endpoint: e.target.endpoint, requestFile: f.put, bodyFile: join(work, "body.bin"), connections: c, durationS: DURATION_S }));
        result.endpoints[i]!.runs.set(c, { get, put, cpu: { get: getCpu, put: putCpu } });
        const errs = get.errors + put.errors ? `  errors: GET ${get.errorDetail || 0} PUT ${put.errorDetail || 0} ${get.sample || put.sample}` : "";
        say(`${e.id} c=${c}: GET ${get.okPerSecond.toFixed(0)}/s p50 ${get.p50Ms.toFixed(1)} ms p99 ${get.p99Ms.toFixed(1)} ms, PUT ${put.okPerSecond.toFixed(0)}/s p99 ${put.p99Ms.toFixed(1)} ms${errs}`);
      }
    }
  } finally {
    result.peak = await sampler.stop();
  }
  return result;
}

const results: SystemResult[] = [];
let loads: string[] = [];
try {
  loads = await measureEach({
    systems: SYSTEMS, start: starters({ workDir: work, logLevel: LOG_LEVEL, cleanups }), cleanups, results, measure,
    unavailable: (reason) => ({ name: "Ceph RGW", endpoints: [], unavailable: reason }),
  });
} finally {
  await cleanups.run();
  await rm(work, { recursive: true, force: true });
}

const minutes = (Date.now() - started.getTime()) / 60_000;
const rgw = results.find((r) => r.endpoints.some((e) => e.id === "rgw")) ? ` RGW: ${rgwVersion()}.` : "";
const report = [
  `## Small objects (${OBJECT_SIZE / 1024} KiB), ${started.toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Command: \`npm run bench:small\` (BENCH_DURATION_S=${DURATION_S}, BENCH_CONNECTIONS=${CONNECTIONS.join(",")}, BENCH_OBJECTS=${N}, BENCH_LOG_LEVEL=${LOG_LEVEL}). ` +
    `Machine: ${machine()}.${rgw} Code: ${revision()}.`,
  `Load: wrk -t1 -c<N> -d${DURATION_S}s over ${N} SigV4 presigned URLs per operation (UNSIGNED-PAYLOAD; GETs of existing objects, PUTs of ${OBJECT_SIZE}-byte bodies), ` +
    `after a ${WARMUP_S} s warm-up at 4 connections; req/s counts successful answers only. Each system runs alone (the others stopped). ` +
    `Load average (1 min) when each started: ${loads.join(", ")}. Whole run: ${minutes.toFixed(1)} min.`,
  "",
  ...CONNECTIONS.flatMap((c) => [concurrencyTable(results, c), ""]),
  cpuTable(results, CONNECTIONS.includes(16) ? 16 : CONNECTIONS[CONNECTIONS.length - 1]!),
  "",
  memoryTable(results),
  "",
  errorsSection(results),
  "",
  targetsTable(results, CONNECTIONS.includes(16) ? 16 : CONNECTIONS[CONNECTIONS.length - 1]!),
  "",
].join("\n");
console.log(`\n${report}`);
const out = join(REPO_ROOT, "bench", "results", `small-${started.toISOString().slice(0, 10)}.md`);
await mkdir(join(REPO_ROOT, "bench", "results"), { recursive: true });
await writeFile(out, report);
say(`written to ${out}`);
