// Worker thread of DigestWorkers: hashes, with one algorithm, the bytes a producer copies into
// a shared ring, as fast as they come, off the event loop. One session at a time; the ring and
// its control words (layout in digest-ring.ts) are handed over once, at start.
import { createHash, type Hash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { CTL, STATE } from "./digest-ring.ts";

const { algorithm, ctl: ctlBuffer, data: dataBuffer, reader } = workerData as { algorithm: "md5" | "sha256"; ctl: SharedArrayBuffer; data: SharedArrayBuffer; reader: number };
const ctl = new BigInt64Array(ctlBuffer);
const data = new Uint8Array(dataBuffer);
const capacity = BigInt(data.length);

parentPort!.on("message", () => {
  const hash = createHash(algorithm);
  const outcome = run(hash);
  parentPort!.postMessage(outcome === "ended" ? { digest: hash.digest() } : { aborted: true });
});

/** Consumes the session until the producer ends it (every byte hashed) or aborts it. */
function run(hash: Hash): "ended" | "aborted" {
  let read = 0n;
  for (;;) {
    const seq = Atomics.load(ctl, CTL.WRITE_SEQ);
    const written = Atomics.load(ctl, CTL.WRITTEN);
    if (written > read) {
      consume(hash, read, written);
      read = written;
      Atomics.store(ctl, reader, read);
      Atomics.add(ctl, CTL.READ_SEQ, 1n);
      Atomics.notify(ctl, CTL.READ_SEQ);
      continue;
    }
    const state = Atomics.load(ctl, CTL.STATE);
    if (state === STATE.ABORTED) return "aborted";
    if (state === STATE.ENDED && Atomics.load(ctl, CTL.WRITTEN) === read) return "ended";
    // Sleeps until the producer writes, ends or aborts (each bumps WRITE_SEQ); a bump since `seq` returns at once.
    Atomics.wait(ctl, CTL.WRITE_SEQ, seq);
  }
}

function consume(hash: Hash, from: bigint, to: bigint): void {
  const start = Number(from % capacity);
  const length = Number(to - from);
  const first = Math.min(length, data.length - start);
  hash.update(data.subarray(start, start + first));
  if (first < length) hash.update(data.subarray(0, length - first));
}
