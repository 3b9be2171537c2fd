// Worker thread of DigestWorkers (digest-workers.ts): hashes the bytes a producer copies into
// a shared ring, as fast as they come, off the event loop. One session at a time; the
// algorithm, the ring, its control words and their layout (digest-ring.ts) arrive once, in
// workerData. Plain JavaScript on purpose: a TypeScript entry would load Node's type stripper
// into every worker (about 15 MiB of resident memory each), for a file this small.
import { createHash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

const { algorithm, ctl: ctlBuffer, data: dataBuffer, CTL, STATE } = workerData;
const ctl = new BigInt64Array(ctlBuffer);
const data = new Uint8Array(dataBuffer);
const capacity = BigInt(data.length);

parentPort.on("message", () => {
  const hash = createHash(algorithm);
  const outcome = run(hash);
  parentPort.postMessage(outcome === "ended" ? { digest: hash.digest() } : { aborted: true });
});

/** Consumes the session until the producer ends it (every byte hashed) or aborts it. */
function run(hash) {
  let read = 0n;
  for (;;) {
    const seq = Atomics.load(ctl, CTL.WRITE_SEQ);
    const written = Atomics.load(ctl, CTL.WRITTEN);
    if (written > read) {
      consume(hash, read, written);
      read = written;
      Atomics.store(ctl, CTL.READ, read);
      Atomics.add(ctl, CTL.READ_SEQ, 1n);
      if (Atomics.load(ctl, CTL.PRODUCER_WAITING) === 1n) Atomics.notify(ctl, CTL.READ_SEQ);
      continue;
    }
    const state = Atomics.load(ctl, CTL.STATE);
    if (state === STATE.ABORTED) return "aborted";
    if (state === STATE.ENDED && Atomics.load(ctl, CTL.WRITTEN) === read) return "ended";
    // Announced before the last look at WRITE_SEQ: a producer bumping it after that look sees a
    // sleeper and wakes it (once a batch is waiting, or at the end); one bumping it before is seen here.
    Atomics.store(ctl, CTL.SLEEPING, 1n);
    if (Atomics.load(ctl, CTL.WRITE_SEQ) === seq) Atomics.wait(ctl, CTL.WRITE_SEQ, seq);
    Atomics.store(ctl, CTL.SLEEPING, 0n);
  }
}

function consume(hash, from, to) {
  const start = Number(from % capacity);
  const length = Number(to - from);
  const first = Math.min(length, data.length - start);
  hash.update(data.subarray(start, start + first));
  if (first < length) hash.update(data.subarray(0, length - first));
}
