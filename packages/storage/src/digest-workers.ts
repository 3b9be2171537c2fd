import { createHash, type Hash } from "node:crypto";
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
  /** Bodies whose MD5 is computed off the event loop at once; more are hashed inline (default 1: on two cores, two large bodies already fill them). */
  workers?: number;
  /** Bytes of each worker's shared ring (default 4 MiB). */
  ringBytes?: number;
  /** Bodies declared smaller than this (or of unknown size) are hashed inline (default 1 MiB). */
  minBytes?: number;
}

interface Lane { ctl: BigInt64Array; data: Uint8Array; worker: Worker; busy: boolean; broken: Error | undefined }

/**
 * The MD5 of large bodies on a worker thread, in parallel with the event loop, which copies
 * each chunk into a shared ring and computes the SHA-256 itself. MD5 is the slow one (about
 * half SHA-256's speed with SHA-NI, a third of the disk's): on two cores this about halves the
 * event loop's work per byte and lets one upload use both cores. One worker, not one per
 * hash: a Node worker thread costs some 15 MiB of resident memory, and the event loop keeps
 * up with the SHA-256. The digests are exactly createHash's over the same bytes. Built once in
 * the composition root; close() on shutdown.
 */
export class DigestWorkers {
  private readonly opts: Required<DigestWorkerOptions>;
  private readonly lanes: Lane[] = [];
  private closed = false;

  constructor(opts: DigestWorkerOptions = {}) {
    this.opts = { workers: opts.workers ?? 1, ringBytes: opts.ringBytes ?? 4 * 1024 * 1024, minBytes: opts.minBytes ?? 1024 * 1024 };
  }

  /** A digester for a body of `expectedSize` bytes: on a free worker, or inline. */
  digester(expectedSize: number | undefined): Digester {
    if (this.closed || expectedSize === undefined || expectedSize < this.opts.minBytes) return new InlineDigester();
    const lane = this.freeLane();
    return lane ? new WorkerDigester(lane) : new InlineDigester();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes.splice(0)) {
      Atomics.store(lane.ctl, CTL.STATE, STATE.ABORTED);
      bump(lane.ctl, true);
      await lane.worker.terminate();
    }
  }

  private freeLane(): Lane | undefined {
    for (let i = this.lanes.length - 1; i >= 0; i--) if (this.lanes[i]!.broken) this.lanes.splice(i, 1);
    const idle = this.lanes.find((l) => !l.busy);
    if (idle) return idle;
    if (this.lanes.length >= this.opts.workers) return undefined;
    const lane = this.startLane();
    this.lanes.push(lane);
    return lane;
  }

  private startLane(): Lane {
    const ctl = new SharedArrayBuffer(CTL_WORDS * 8);
    const data = new SharedArrayBuffer(this.opts.ringBytes);
    const worker = new Worker(new URL("./digest-worker.mjs", import.meta.url), {
      workerData: { algorithm: "md5", ctl, data, CTL, STATE },
      // It only hashes: a small heap, and it never keeps the process alive.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    worker.unref();
    const lane: Lane = { ctl: new BigInt64Array(ctl), data: new Uint8Array(data), worker, busy: false, broken: undefined };
    worker.on("error", (err) => void (lane.broken ??= err));
    worker.on("exit", () => void (lane.broken ??= new Error("digest worker exited")));
    return lane;
  }
}

/** One body's session on a lane: SHA-256 here, each chunk copied into the ring for the MD5, waiting (without blocking) when it is full. */
class WorkerDigester implements Digester {
  private readonly lane: Lane;
  private readonly capacity: bigint;
  private readonly sha256: Hash = createHash("sha256");
  private written = 0n;
  private readonly reply: Promise<{ digest?: Buffer }>;
  private settled = false;

  constructor(lane: Lane) {
    this.lane = lane;
    this.capacity = BigInt(lane.data.length);
    lane.busy = true;
    for (const i of [CTL.WRITTEN, CTL.READ, CTL.PRODUCER_WAITING]) Atomics.store(lane.ctl, i, 0n);
    Atomics.store(lane.ctl, CTL.STATE, STATE.RUNNING);
    this.reply = replyOf(lane);
    // The lane is free again once the worker answered this session, however it ended.
    this.reply.then(() => void (lane.busy = false), (err: Error) => void (lane.broken ??= err));
    lane.worker.postMessage("start");
  }

  update(chunk: Buffer): void | Promise<void> {
    this.sha256.update(chunk);
    return this.copy(chunk);
  }

  async digests(): Promise<Digests> {
    this.settle(STATE.ENDED);
    const { digest } = await this.reply;
    if (!digest) throw new Error("digest session aborted");
    return { md5: digest, sha256: this.sha256.digest() };
  }

  abort(): void {
    this.settle(STATE.ABORTED);
  }

  private copy(chunk: Buffer): void | Promise<void> {
    const { ctl, data } = this.lane;
    let offset = 0;
    while (offset < chunk.length) {
      const free = this.free();
      if (free === 0) return this.untilFree().then(() => this.copy(chunk.subarray(offset)));
      const n = Math.min(free, chunk.length - offset);
      const at = Number(this.written % this.capacity);
      const first = Math.min(n, data.length - at);
      data.set(chunk.subarray(offset, offset + first), at);
      if (first < n) data.set(chunk.subarray(offset + first, offset + n), 0);
      this.written += BigInt(n);
      offset += n;
      Atomics.store(ctl, CTL.WRITTEN, this.written);
      bump(ctl, this.written - Atomics.load(ctl, CTL.READ) >= WAKE_BATCH);
    }
  }

  private settle(state: bigint): void {
    if (this.settled) return;
    this.settled = true;
    Atomics.store(this.lane.ctl, CTL.STATE, state);
    bump(this.lane.ctl, true);
  }

  private free(): number {
    return Number(this.capacity - (this.written - Atomics.load(this.lane.ctl, CTL.READ)));
  }

  /** Resolves once the worker made room; fails if it died meanwhile. */
  private async untilFree(): Promise<void> {
    const { ctl } = this.lane;
    // The ring is full, so a whole batch waits: make sure a sleeping worker knows.
    bump(ctl, true);
    Atomics.store(ctl, CTL.PRODUCER_WAITING, 1n);
    try {
      for (;;) {
        if (this.lane.broken) throw this.lane.broken;
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

/** Tells the worker there is news (bytes, an end, an abort); wakes it, if asleep, only when `wake`. */
function bump(ctl: BigInt64Array, wake: boolean): void {
  Atomics.add(ctl, CTL.WRITE_SEQ, 1n);
  if (wake && Atomics.load(ctl, CTL.SLEEPING) > 0n) Atomics.notify(ctl, CTL.WRITE_SEQ);
}

function replyOf(lane: Lane): Promise<{ digest?: Buffer }> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(lane.broken ?? new Error("digest worker exited"));
    lane.worker.once("exit", onExit);
    lane.worker.once("message", (msg: { digest?: Uint8Array; aborted?: boolean }) => {
      lane.worker.off("exit", onExit);
      resolve(msg.digest ? { digest: Buffer.from(msg.digest) } : {});
    });
  });
}
