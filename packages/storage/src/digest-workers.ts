import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { CTL, CTL_WORDS, STATE, WAKE_BATCH } from "./digest-ring.ts";

export interface Digests { md5: Buffer; sha256: Buffer }

/** A running MD5 + SHA-256 of a stream's bytes. */
export interface Digester {
  /** Takes the next chunk; a returned promise means: wait for it before the next chunk (backpressure). */
  update(chunk: Buffer): void | Promise<void>;
  /** The digests of every chunk taken, once. */
  digests(): Promise<Digests>;
  /** Gives up (the body failed); a no-op once digests() was asked for. */
  abort(): void;
}

/** Both hashes on the calling thread: for small bodies, where a hand-over would cost more than it saves. */
export class InlineDigester implements Digester {
  private readonly md5 = createHash("md5");
  private readonly sha256 = createHash("sha256");

  update(chunk: Buffer): void {
    this.md5.update(chunk);
    this.sha256.update(chunk);
  }

  async digests(): Promise<Digests> {
    return { md5: this.md5.digest(), sha256: this.sha256.digest() };
  }

  abort(): void {}
}

export interface DigestWorkerOptions {
  /** Bodies hashed in parallel off the event loop; more at once are hashed inline (default 1: on two cores, two large bodies already fill them). */
  pairs?: number;
  /** Bytes of each pair's shared ring (default 4 MiB). */
  ringBytes?: number;
  /** Bodies declared smaller than this (or of unknown size) are hashed inline (default 1 MiB). */
  minBytes?: number;
}

interface Pair { ctl: BigInt64Array; data: Uint8Array; md5: Worker; sha256: Worker; busy: boolean; broken: Error | undefined }

/**
 * MD5 and SHA-256 of large bodies on two worker threads each, in parallel with each other and
 * with the event loop, which only copies each chunk into a shared ring. On two cores this
 * takes hashing (MD5 alone runs at about a third of the disk's speed) off the path that moves
 * the bytes, and leaves the event loop free for other requests. The digests are exactly those
 * of createHash over the same bytes. Built once in the composition root; close() on shutdown.
 */
export class DigestWorkers {
  private readonly opts: Required<DigestWorkerOptions>;
  private readonly pairs: Pair[] = [];
  private closed = false;

  constructor(opts: DigestWorkerOptions = {}) {
    this.opts = { pairs: opts.pairs ?? 1, ringBytes: opts.ringBytes ?? 4 * 1024 * 1024, minBytes: opts.minBytes ?? 1024 * 1024 };
  }

  /** A digester for a body of `expectedSize` bytes: on a free pair of workers, or inline. */
  digester(expectedSize: number | undefined): Digester {
    if (this.closed || expectedSize === undefined || expectedSize < this.opts.minBytes) return new InlineDigester();
    const pair = this.freePair();
    return pair ? new WorkerDigester(pair) : new InlineDigester();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pairs.splice(0)) {
      Atomics.store(p.ctl, CTL.STATE, STATE.ABORTED);
      bump(p.ctl, true);
      await Promise.all([p.md5.terminate(), p.sha256.terminate()]);
    }
  }

  private freePair(): Pair | undefined {
    for (let i = this.pairs.length - 1; i >= 0; i--) if (this.pairs[i]!.broken) this.pairs.splice(i, 1);
    const idle = this.pairs.find((p) => !p.busy);
    if (idle) return idle;
    if (this.pairs.length >= this.opts.pairs) return undefined;
    const pair = this.startPair();
    this.pairs.push(pair);
    return pair;
  }

  private startPair(): Pair {
    const ctlBuffer = new SharedArrayBuffer(CTL_WORDS * 8);
    const dataBuffer = new SharedArrayBuffer(this.opts.ringBytes);
    const spawn = (algorithm: "md5" | "sha256", reader: number) => {
      const worker = new Worker(new URL("./digest-worker.mjs", import.meta.url), {
        workerData: { algorithm, ctl: ctlBuffer, data: dataBuffer, reader, CTL, STATE },
        // It only hashes: a small heap, and it never keeps the process alive.
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      });
      worker.unref();
      return worker;
    };
    const pair: Pair = { ctl: new BigInt64Array(ctlBuffer), data: new Uint8Array(dataBuffer), md5: spawn("md5", CTL.READ_MD5), sha256: spawn("sha256", CTL.READ_SHA256), busy: false, broken: undefined };
    for (const w of [pair.md5, pair.sha256]) {
      w.on("error", (err) => void (pair.broken ??= err));
      w.on("exit", () => void (pair.broken ??= new Error("digest worker exited")));
    }
    return pair;
  }
}

/** One body's session on a pair: copies chunks into the ring, waiting (without blocking) when it is full. */
class WorkerDigester implements Digester {
  private readonly pair: Pair;
  private readonly capacity: bigint;
  private written = 0n;
  private readonly replies: Promise<[{ digest?: Buffer }, { digest?: Buffer }]>;
  private settled = false;

  constructor(pair: Pair) {
    this.pair = pair;
    this.capacity = BigInt(pair.data.length);
    pair.busy = true;
    const { ctl } = pair;
    for (const i of [CTL.WRITTEN, CTL.READ_MD5, CTL.READ_SHA256, CTL.PRODUCER_WAITING]) Atomics.store(ctl, i, 0n);
    Atomics.store(ctl, CTL.STATE, STATE.RUNNING);
    this.replies = Promise.all([reply(pair, pair.md5), reply(pair, pair.sha256)]);
    // The pair is free again once both workers answered this session, however it ended.
    this.replies.then(() => void (pair.busy = false), (err: Error) => void (pair.broken ??= err));
    pair.md5.postMessage("start");
    pair.sha256.postMessage("start");
  }

  update(chunk: Buffer): void | Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const free = this.free();
      if (free === 0) return this.untilFree().then(() => this.update(chunk.subarray(offset)));
      const n = Math.min(free, chunk.length - offset);
      const at = Number(this.written % this.capacity);
      const first = Math.min(n, this.pair.data.length - at);
      this.pair.data.set(chunk.subarray(offset, offset + first), at);
      if (first < n) this.pair.data.set(chunk.subarray(offset + first, offset + n), 0);
      this.written += BigInt(n);
      offset += n;
      Atomics.store(this.pair.ctl, CTL.WRITTEN, this.written);
      bump(this.pair.ctl, this.written - this.slowestRead() >= WAKE_BATCH);
    }
  }

  async digests(): Promise<Digests> {
    this.settle(STATE.ENDED);
    const [md5, sha256] = await this.replies;
    if (!md5.digest || !sha256.digest) throw new Error("digest session aborted");
    return { md5: md5.digest, sha256: sha256.digest };
  }

  abort(): void {
    this.settle(STATE.ABORTED);
  }

  private settle(state: bigint): void {
    if (this.settled) return;
    this.settled = true;
    Atomics.store(this.pair.ctl, CTL.STATE, state);
    bump(this.pair.ctl, true);
  }

  private slowestRead(): bigint {
    const md5 = Atomics.load(this.pair.ctl, CTL.READ_MD5);
    const sha256 = Atomics.load(this.pair.ctl, CTL.READ_SHA256);
    return md5 < sha256 ? md5 : sha256;
  }

  private free(): number {
    return Number(this.capacity - (this.written - this.slowestRead()));
  }

  /** Resolves once a consumer made room; fails if a worker died meanwhile. */
  private async untilFree(): Promise<void> {
    const { ctl } = this.pair;
    // The ring is full, so a batch waits for every consumer: make sure the sleeping ones know.
    bump(ctl, true);
    Atomics.store(ctl, CTL.PRODUCER_WAITING, 1n);
    try {
      for (;;) {
        if (this.pair.broken) throw this.pair.broken;
        const seq = Atomics.load(ctl, CTL.READ_SEQ);
        if (this.free() > 0) return;
        const waiting = Atomics.waitAsync(ctl, CTL.READ_SEQ, seq, 1000);
        if (waiting.async) await waiting.value;
      }
    } finally {
      Atomics.store(ctl, CTL.PRODUCER_WAITING, 0n);
    }
  }
}

/** Tells consumers there is news (bytes, an end, an abort); wakes sleeping ones only when `wake`. */
function bump(ctl: BigInt64Array, wake: boolean): void {
  Atomics.add(ctl, CTL.WRITE_SEQ, 1n);
  if (wake && Atomics.load(ctl, CTL.SLEEPERS) > 0n) Atomics.notify(ctl, CTL.WRITE_SEQ);
}

function reply(pair: Pair, worker: Worker): Promise<{ digest?: Buffer }> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(pair.broken ?? new Error("digest worker exited"));
    worker.once("exit", onExit);
    worker.once("message", (msg: { digest?: Uint8Array; aborted?: boolean }) => {
      worker.off("exit", onExit);
      resolve(msg.digest ? { digest: Buffer.from(msg.digest) } : {});
    });
  });
}
