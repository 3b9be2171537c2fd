import type { Readable, Transform } from "node:stream";
import type { StorageLocation } from "@s3gw/core";

export interface StoredBlob {
  storageKey: string;
  size: number;
  md5Hex: string;
  sha256Hex: string;
}

export interface PutOptions {
  /** Declared Content-Length; a body of any other length is refused (IncompleteBody). */
  expectedSize?: number;
  /** Decoded Content-MD5; a mismatch is refused (BadDigest) and nothing is kept. */
  contentMd5?: Buffer;
  /** Upper bound on the body, refused with EntityTooLarge beyond it. */
  maxSize?: number;
  /** Applied to the bytes after they are counted and hashed, before they are stored (sealing). */
  transform?: () => Transform;
}

export interface ReadRange { start: number; end: number }

/**
 * Where bytes live. Providers only ever see opaque backend keys; tenant scoping happens in
 * `TenantStorage`, which is the only way the gateway reaches a provider.
 */
export interface StorageProvider {
  readonly type: "fs" | "s3";
  readonly location: StorageLocation;
  /**
   * Whether the gateway seals what it stores here (always, except a customer bucket whose owner
   * opted out because the bucket encrypts by itself; explicit SSE requests are sealed regardless).
   */
  readonly gatewayEncryption: boolean;
  /** Streams the body to a fresh key under `prefix`, hashing as it goes; durable on return. */
  put(prefix: string, body: Readable, opts: PutOptions): Promise<StoredBlob>;
  /**
   * Opens the bytes of a key (whole or a range). Rejects with BlobNotFoundError when absent.
   * `chunkBytes`: the size of the chunks to read, where the store lets it be chosen (sealed blobs are read a segment at a time).
   */
  get(storageKey: string, range?: ReadRange, opts?: { chunkBytes?: number }): Promise<Readable>;
  /**
   * A small blob's bytes in one read, where the store can do that more cheaply than a stream
   * (a file: one read instead of a read stream). `expectedBytes`: the size it was stored with, if
   * known (a read of exactly that size is cheaper); a blob of another size is still returned whole.
   * Rejects with BlobNotFoundError when absent.
   */
  readWhole?(storageKey: string, expectedBytes?: number): Promise<Buffer>;
  delete(storageKey: string): Promise<void>;
  /** Every key under `prefix` with its last-modified time, for sweeping strays. */
  list(prefix: string): AsyncIterable<{ storageKey: string; modifiedAt: Date }>;
  /** Whether the store can take writes now; `detail` names why not, `freeBytes` where the store knows it. */
  health(): Promise<{ ok: boolean; detail?: string; freeBytes?: number }>;
  /** Removes what writes that never finished left behind (temp files, open multipart uploads) older than `olderThan`. */
  sweepIncomplete(olderThan: Date): Promise<number>;
}

export class BlobNotFoundError extends Error {
  constructor(storageKey: string) {
    super(`blob not found: ${storageKey}`);
    this.name = "BlobNotFoundError";
  }
}
