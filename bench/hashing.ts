// What hashing a body costs on this machine: MD5 and SHA-256 (createHash) alone and together
// on the event loop, and the same two with DigestWorkers (what large PUTs use: the MD5 on a
// worker thread fed through a shared ring, the SHA-256 on the event loop), over SIZE_MIB of
// 64 KiB chunks (the size socket reads arrive in).
//   node bench/hashing.ts            SIZE_MIB=2048 node bench/hashing.ts
import { createHash, randomBytes } from "node:crypto";
import { DigestWorkers } from "../packages/storage/src/digest-workers.ts";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.SIZE_MIB ?? 1024) * MiB;
const CHUNK = 64 * 1024;
// A pool of distinct chunks, so nothing is served from a cache of one.
const chunks = Array.from({ length: 64 }, () => randomBytes(CHUNK));

function rate(ms: number): string {
  return `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
}

function inline(algorithms: string[]): number {
  const hashes = algorithms.map((a) => createHash(a));
  const started = performance.now();
  for (let n = 0, i = 0; n < SIZE; n += CHUNK, i++) for (const h of hashes) h.update(chunks[i % chunks.length]!);
  for (const h of hashes) h.digest();
  return performance.now() - started;
}

async function workers(pool: DigestWorkers): Promise<{ ms: number; loopBusyMs: number }> {
  const d = pool.digester(SIZE);
  const started = performance.now();
  let busy = 0;
  for (let n = 0, i = 0; n < SIZE; n += CHUNK, i++) {
    const t = performance.now();
    const wait = d.update(chunks[i % chunks.length]!);
    busy += performance.now() - t;
    if (wait) await wait;
  }
  await d.digests();
  return { ms: performance.now() - started, loopBusyMs: busy };
}

console.log(`\nHashing ${SIZE / MiB} MiB in ${CHUNK / 1024} KiB chunks\n`);
console.log("| what | throughput | event loop busy |");
console.log("|---|---:|---:|");
for (const algos of [["md5"], ["sha256"], ["md5", "sha256"]]) {
  const ms = inline(algos);
  console.log(`| createHash ${algos.join(" + ")}, inline | ${rate(ms)} | 100% |`);
}
const pool = new DigestWorkers({ workers: 1 });
await workers(pool); // warm-up: the worker starts on first use
const w = await workers(pool);
console.log(`| DigestWorkers: md5 on a worker, sha256 inline | ${rate(w.ms)} | ${((100 * w.loopBusyMs) / w.ms).toFixed(0)}% (SHA-256, and copying into the ring) |`);
await pool.close();
