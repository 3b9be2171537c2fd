import { randomUUID } from "node:crypto";
import { close as closeFd, createWriteStream, fstatSync, open as openFd, read as readFd } from "node:fs";
import { mkdir, open, readdir, readFile, rename, stat, statfs, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isAppError, s3Error, type StorageLocation } from "@s3gw/core";
import type { DigestWorkers } from "./digest-workers.ts";
import { HashingCounter } from "./hashing.ts";
import { storageUnavailable } from "./storage-errors.ts";
import { BlobNotFoundError, type PutOptions, type ReadRange, type StorageProvider, type StoredBlob } from "./provider.ts";

const KEY_RE = /^tenant-[a-z0-9][a-z0-9-]*\/[0-9a-f]{2}\/[0-9a-f-]{36}$/;
const PREFIX_RE = /^tenant-[a-z0-9][a-z0-9-]*\/$/;
/** Read chunk sizes: Node's default for small blobs; large ones in fewer, larger reads (fewer events per byte downstream). */
const SMALL_READ_CHUNK = 64 * 1024;
const LARGE_READ_CHUNK = 256 * 1024;
const WRITE_QUEUE_BYTES = 1024 * 1024;

/**
 * Bytes as files under a root directory. A write goes to `.tmp/`, is fsynced and renamed
 * into place, so a key either holds a complete blob or does not exist.
 */
export class FsProvider implements StorageProvider {
  readonly type = "fs" as const;
  readonly gatewayEncryption = true;
  readonly location: StorageLocation;
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly minFreeBytes: number;
  private readonly digests: DigestWorkers | undefined;

  /**
   * `minFreeBytes`: below this much free space the store reports itself unhealthy (0: never).
   * `digests`: worker threads that hash large bodies off the event loop (inline without).
   */
  constructor(root: string, location: StorageLocation, opts: { minFreeBytes?: number; digests?: DigestWorkers } = {}) {
    this.root = resolve(root);
    this.tmpDir = join(this.root, ".tmp");
    this.location = location;
    this.minFreeBytes = opts.minFreeBytes ?? 0;
    this.digests = opts.digests;
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
  }

  async put(prefix: string, body: Readable, opts: PutOptions): Promise<StoredBlob> {
    if (!PREFIX_RE.test(prefix)) throw new Error(`invalid storage prefix ${prefix}`);
    const id = randomUUID();
    const storageKey = `${prefix}${id.slice(0, 2)}/${id}`;
    const tmp = join(this.tmpDir, id);
    const counter = new HashingCounter(opts, this.digests?.digester(opts.expectedSize));
    try {
      // A deeper write queue than the default 16 KiB: chunks that pile up while a write is in flight go out as one writev.
      const file = createWriteStream(tmp, { flags: "wx", flush: true, highWaterMark: WRITE_QUEUE_BYTES });
      await (opts.transform ? pipeline(body, counter, opts.transform(), file) : pipeline(body, counter, file));
      const digests = await counter.finish(opts.contentMd5);
      const dest = this.pathOf(storageKey);
      await this.renameIntoPlace(tmp, dest);
      await syncDir(dirname(dest));
      return { storageKey, size: counter.size, ...digests };
    } catch (err) {
      counter.abort();
      await unlink(tmp).catch(() => {});
      // A full or unwritable store is the store's fault, named as such; nothing is left behind.
      throw isAppError(err) ? err : (storageUnavailable(err) ?? bodyFailure(err));
    }
  }

  async get(storageKey: string, range?: ReadRange, opts: { chunkBytes?: number } = {}): Promise<Readable> {
    // Opening first pins the inode: an overwrite that unlinks it later cannot cut this read short.
    const handle = await open(this.pathOf(storageKey), "r").catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? new BlobNotFoundError(storageKey) : err;
    });
    // fstat of an open descriptor is metadata only, never a wait on data: cheap enough inline.
    const length = range ? range.end - range.start + 1 : fstatSync(handle.fd).size;
    const highWaterMark = opts.chunkBytes ?? (length > LARGE_READ_CHUNK ? LARGE_READ_CHUNK : SMALL_READ_CHUNK);
    return handle.createReadStream(range ? { start: range.start, end: range.end, highWaterMark } : { highWaterMark });
  }

  /**
   * The shard directories known to exist: a write's mkdir was one file-system call per PUT. One
   * removed behind our back (an operator's cleanup) fails the rename with ENOENT: made again.
   */
  private readonly knownDirs = new Set<string>();

  private async renameIntoPlace(tmp: string, dest: string): Promise<void> {
    const dir = dirname(dest);
    if (!this.knownDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      // Bounded: 256 shards per tenant; a store of very many tenants just forgets and re-checks.
      if (this.knownDirs.size >= 65_536) this.knownDirs.clear();
      this.knownDirs.add(dir);
    }
    await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
      this.knownDirs.delete(dir);
      await mkdir(dir, { recursive: true });
      await rename(tmp, dest);
    });
  }

  async readWhole(storageKey: string, expectedBytes?: number): Promise<Buffer> {
    const path = this.pathOf(storageKey);
    const notFound = (err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? new BlobNotFoundError(storageKey) : err;
    };
    if (expectedBytes !== undefined) {
      const exact = await readExpected(path, expectedBytes).catch(notFound);
      if (exact) return exact;
    }
    // A blob of another size than recorded is read whole all the same: its reader's integrity check judges it.
    return readFile(path).catch(notFound);
  }

  async delete(storageKey: string): Promise<void> {
    await unlink(this.pathOf(storageKey)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  async *list(prefix: string): AsyncIterable<{ storageKey: string; modifiedAt: Date }> {
    if (prefix !== "" && !PREFIX_RE.test(prefix)) throw new Error(`invalid storage prefix ${prefix}`);
    const tenants = prefix ? [prefix.slice(0, -1)] : (await readdirSafe(this.root)).filter((d) => d.startsWith("tenant-"));
    for (const tenant of tenants) {
      for (const shard of await readdirSafe(join(this.root, tenant))) {
        for (const name of await readdirSafe(join(this.root, tenant, shard))) {
          const storageKey = `${tenant}/${shard}/${name}`;
          if (!KEY_RE.test(storageKey)) continue;
          const st = await stat(join(this.root, tenant, shard, name)).catch(() => undefined);
          if (st) yield { storageKey, modifiedAt: st.mtime };
        }
      }
    }
  }

  /** Removes temp files of writes that never finished (crash mid-upload). */
  async sweepIncomplete(olderThan: Date): Promise<number> {
    let removed = 0;
    for (const name of await readdirSafe(this.tmpDir)) {
      const st = await stat(join(this.tmpDir, name)).catch(() => undefined);
      if (st && st.mtime < olderThan) {
        await unlink(join(this.tmpDir, name)).catch(() => {});
        removed++;
      }
    }
    return removed;
  }

  /** Healthy when a probe file can be written, synced and removed, and free space is above the threshold. */
  async health(): Promise<{ ok: boolean; detail?: string; freeBytes?: number }> {
    const probe = join(this.tmpDir, `health-${randomUUID()}`);
    try {
      await writeFile(probe, "ok", { flush: true });
      await unlink(probe);
    } catch (err) {
      await unlink(probe).catch(() => {});
      return { ok: false, detail: storageUnavailable(err)?.message ?? `write probe failed (${(err as NodeJS.ErrnoException).code ?? "error"})` };
    }
    try {
      const fs = await statfs(this.root);
      const freeBytes = fs.bavail * fs.bsize;
      if (freeBytes < this.minFreeBytes) {
        return { ok: false, freeBytes, detail: `storage is nearly full: ${freeBytes} bytes free, below the ${this.minFreeBytes} bytes threshold` };
      }
      return { ok: true, freeBytes };
    } catch (err) {
      return { ok: false, detail: `free-space check failed (${(err as NodeJS.ErrnoException).code ?? "error"})` };
    }
  }

  private pathOf(storageKey: string): string {
    if (!KEY_RE.test(storageKey)) throw new Error("invalid storage key");
    const p = resolve(this.root, storageKey);
    if (!p.startsWith(this.root + sep)) throw new Error("storage key escapes the storage root");
    return p;
  }
}

/** A client that hangs up mid-upload is the client's error (IncompleteBody), not the server's. */
function bodyFailure(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNRESET" || code === "ABORT_ERR" || (err as Error).message === "aborted") {
    return s3Error("IncompleteBody", undefined, { cause: err });
  }
  return err;
}

async function readdirSafe(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A file of a known size in three thread-pool trips (open, one read, close) where readFile takes
 * four or five (it asks the size and reads until a read returns nothing): on a small GET these
 * hand-offs cost more CPU than the read itself. One byte more than expected is asked for, so a
 * longer file is noticed; undefined unless exactly `size` bytes came back. The close is not waited for.
 */
function readExpected(path: string, size: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    openFd(path, "r", (openErr, fd) => {
      if (openErr) return reject(openErr);
      const buffer = Buffer.allocUnsafe(size + 1);
      readFd(fd, buffer, 0, size + 1, 0, (readErr, bytesRead) => {
        closeFd(fd, () => {});
        if (readErr) return reject(readErr);
        resolve(bytesRead === size ? buffer.subarray(0, size) : undefined);
      });
    });
  });
}
