import { randomUUID } from "node:crypto";
import { PassThrough, pipeline, Readable } from "node:stream";
import type { PutObjectCommandInput, S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { isAppError, s3Error, type StorageLocation } from "@s3gw/core";
import { backendFailure, classifyBackendError, shortReason } from "./backend-errors.ts";
import type { DigestWorkers } from "./digest-workers.ts";
import { HashingCounter } from "./hashing.ts";
import { BlobNotFoundError, type PutOptions, type ReadRange, type StorageProvider, type StoredBlob } from "./provider.ts";

// The same tenant-relative key shape as FsProvider, so metadata rows are portable between providers.
const KEY_RE = /^tenant-[a-z0-9][a-z0-9-]*\/[0-9a-f]{2}\/[0-9a-f-]{36}$/;
const PREFIX_RE = /^tenant-[a-z0-9][a-z0-9-]*\/$/;
const PATH_PREFIX_RE = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;
const PART_SIZE = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
const CONNECT_TIMEOUT_MS = 3_000;
const HEALTH_TIMEOUT_MS = 5_000;

export interface S3ProviderOptions {
  location: StorageLocation;
  /** Any S3-compatible endpoint; AWS's regional endpoint when absent. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Keys become `<pathPrefix>/<tenant key>`; no leading slash. */
  pathPrefix?: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Defaults to true when an endpoint is given (most S3-compatible servers want path style). */
  forcePathStyle?: boolean;
  /** Asked of the bucket on every write; aws:kms without a key id is the bucket's default KMS key. */
  sse?: { mode: "AES256" } | { mode: "aws:kms"; kmsKeyId?: string };
  /** False only for a customer bucket that encrypts by itself and whose owner opted out of the gateway's encryption (default true). */
  gatewayEncryption?: boolean;
  /** Until the response headers arrive (default 30 s); body streaming is bounded by an idle timeout instead. */
  requestTimeoutMs?: number;
  /** Per request, including the first (default 3). */
  maxAttempts?: number;
  /** Worker threads that hash large bodies off the event loop (inline without). */
  digests?: DigestWorkers;
}

/** The AWS SDK, loaded on first use: it costs a process about 35 MiB of memory, which a region without S3 storage never needs. */
interface Sdk { s3: typeof import("@aws-sdk/client-s3"); Upload: typeof import("@aws-sdk/lib-storage").Upload; client: S3Client }

/**
 * Bytes in a bucket of an S3-compatible service. Keys are tenant-relative to callers; the
 * path prefix is this provider's business only. Every backend failure reaches the client as
 * a 503 (see backend-errors.ts), and every request is bounded in time.
 */
export class S3Provider implements StorageProvider {
  readonly type = "s3" as const;
  readonly gatewayEncryption: boolean;
  readonly location: StorageLocation;
  readonly bucket: string;
  private readonly clientConfig: S3ClientConfig;
  private sdk: Promise<Sdk> | undefined;
  private readonly base: string;
  private readonly writeParams: Partial<PutObjectCommandInput>;
  private readonly digests: DigestWorkers | undefined;

  constructor(opts: S3ProviderOptions) {
    const prefix = (opts.pathPrefix ?? "").replace(/\/+$/, "");
    if (prefix !== "" && (!PATH_PREFIX_RE.test(prefix) || prefix.split("/").some((s) => s === "." || s === ".."))) {
      throw new Error("invalid storage path prefix: segments of letters, digits and !_.*'()- separated by single slashes, no leading slash");
    }
    this.location = opts.location;
    this.gatewayEncryption = opts.gatewayEncryption ?? true;
    this.bucket = opts.bucket;
    this.digests = opts.digests;
    this.base = prefix ? `${prefix}/` : "";
    const requestTimeout = opts.requestTimeoutMs ?? 30_000;
    this.clientConfig = {
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      credentials: { ...opts.credentials },
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: CONNECT_TIMEOUT_MS,
        requestTimeout,
        throwOnRequestTimeout: true,
        // A stalled body stream (either way) fails instead of holding the request forever.
        socketTimeout: Math.max(requestTimeout, 60_000),
      },
      // We hash every body ourselves; the SDK's default trailing checksums are not spoken by every S3-compatible server.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    };
    this.writeParams = {
      ContentType: "application/octet-stream",
      ...(opts.sse?.mode === "AES256" ? { ServerSideEncryption: "AES256" } : {}),
      ...(opts.sse?.mode === "aws:kms" ? { ServerSideEncryption: "aws:kms", ...(opts.sse.kmsKeyId ? { SSEKMSKeyId: opts.sse.kmsKeyId } : {}) } : {}),
    };
  }

  async put(prefix: string, body: Readable, opts: PutOptions): Promise<StoredBlob> {
    if (!PREFIX_RE.test(prefix)) throw new Error(`invalid storage prefix ${prefix}`);
    const id = randomUUID();
    const storageKey = `${prefix}${id.slice(0, 2)}/${id}`;
    const Key = this.base + storageKey;
    const counter = new HashingCounter(opts, this.digests?.digester(opts.expectedSize));
    // Upload sizes a stream by its `size` property, which HashingCounter uses for its count, so
    // it reads a plain PassThrough. `pipe` (not pipeline) there keeps Upload's teardown of its
    // source from reaching the counter: only the body's own failures are recorded as such, and
    // they outrank whatever the upload reports after them.
    let sdk: Sdk;
    try {
      sdk = await this.connect();
    } catch (err) {
      body.destroy();
      counter.abort();
      throw backendFailure(err);
    }
    const source = new PassThrough();
    let bodyError: unknown;
    counter.on("error", (err) => {
      bodyError ??= err;
      source.destroy(err);
    });
    pipeline(body, counter, () => {});
    if (opts.transform) {
      const transform = opts.transform();
      transform.on("error", (err) => source.destroy(err));
      counter.pipe(transform).pipe(source);
    } else {
      counter.pipe(source);
    }
    const upload = new sdk.Upload({
      client: sdk.client,
      params: { ...this.writeParams, Bucket: this.bucket, Key, Body: source, Tagging: `tenant_id=${encodeURIComponent(prefix.slice(7, -1))}` },
      partSize: Math.max(PART_SIZE, Math.ceil((opts.expectedSize ?? 0) / MAX_PARTS)),
      queueSize: 2,
      leavePartsOnError: false,
    });
    let stored = false;
    try {
      await upload.done();
      stored = true;
      const digests = await counter.finish(opts.contentMd5);
      return { storageKey, size: counter.size, ...digests };
    } catch (err) {
      const fromBody = bodyError;
      // As FsProvider's pipeline does: a failed write releases the client's body (the backend may have given up first).
      body.destroy();
      counter.abort();
      counter.destroy();
      // Upload aborts its own multipart upload on failure; a complete object that failed our checks is deleted here.
      if (stored) await sdk.client.send(new sdk.s3.DeleteObjectCommand({ Bucket: this.bucket, Key })).catch(() => {});
      if (fromBody !== undefined) throw isAppError(fromBody) ? fromBody : bodyFailure(fromBody);
      throw isAppError(err) ? err : backendFailure(err);
    }
  }

  async get(storageKey: string, range?: ReadRange): Promise<Readable> {
    const { s3, client } = await this.connected();
    const res = await client
      .send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(storageKey), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }))
      .catch((err: unknown) => {
        const name = (err as Error).name;
        if (name === "NoSuchKey" || name === "NotFound") throw new BlobNotFoundError(storageKey);
        if (name === "InvalidRange") throw s3Error("InvalidRange", undefined, { cause: err });
        throw backendFailure(err);
      });
    const stream = res.Body;
    if (!(stream instanceof Readable)) throw s3Error("ServiceUnavailable", "storage backend unavailable: no response body");
    // A backend that ignores Range would otherwise have us serve the wrong bytes as a range.
    if (range && res.$metadata.httpStatusCode !== 206) {
      stream.destroy();
      throw s3Error("ServiceUnavailable", "storage backend unavailable: Range not honoured");
    }
    return stream;
  }

  /**
   * Removes the blob's bytes. In a versioned bucket (every bucket with object lock is one) a
   * plain delete only adds a delete marker and the bytes stay, so then every version and marker
   * of this exact key (ours alone: keys are unique) is deleted by version id; a version under
   * the bucket's own lock refuses, and that failure is the caller's.
   */
  async delete(storageKey: string): Promise<void> {
    const { s3, client } = await this.connected();
    const Key = this.keyOf(storageKey);
    const done = await client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key })).catch((err: unknown) => {
      if ((err as Error).name !== "NoSuchKey") throw backendFailure(err);
      return undefined;
    });
    if (!done?.DeleteMarker) return;
    const listed = await client.send(new s3.ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: Key })).catch((err: unknown) => {
      throw backendFailure(err);
    });
    // Markers first: if a locked version refuses, the key is left as it was, visible, not hidden behind our marker.
    for (const v of [...(listed.DeleteMarkers ?? []), ...(listed.Versions ?? [])]) {
      if (v.Key !== Key || !v.VersionId) continue;
      await client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key, VersionId: v.VersionId })).catch((err: unknown) => {
        throw backendFailure(err);
      });
    }
  }

  async *list(prefix: string): AsyncIterable<{ storageKey: string; modifiedAt: Date }> {
    if (prefix !== "" && !PREFIX_RE.test(prefix)) throw new Error(`invalid storage prefix ${prefix}`);
    const { s3, client } = await this.connected();
    let token: string | undefined;
    do {
      const page = await client
        .send(new s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base + prefix, ...(token ? { ContinuationToken: token } : {}) }))
        .catch((err: unknown) => {
          throw backendFailure(err);
        });
      for (const o of page.Contents ?? []) {
        const storageKey = this.relative(o.Key);
        if (storageKey) yield { storageKey, modifiedAt: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Aborts multipart uploads of ours (tenant-shaped keys under the path prefix) begun before `olderThan`. */
  async sweepIncomplete(olderThan: Date): Promise<number> {
    const { s3, client } = await this.connected();
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    const fail = (err: unknown) => {
      throw backendFailure(err);
    };
    do {
      const page = await client
        .send(new s3.ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.base, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}) }))
        .catch(fail);
      for (const u of page.Uploads ?? []) {
        if (!this.relative(u.Key) || !u.UploadId || !u.Initiated || u.Initiated >= olderThan) continue;
        const gone = await client
          .send(new s3.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }))
          .then(() => true, (err: unknown) => ((err as Error).name === "NoSuchUpload" ? false : fail(err)));
        if (gone) aborted++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return aborted;
  }

  /** Lists one key of the bucket: proves reachability, credentials, region and bucket in one cheap call. */
  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      const { s3, client } = await this.connect();
      await client.send(new s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base, MaxKeys: 1 }), { abortSignal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: `${classifyBackendError(err)}: ${shortReason(err)}` };
    }
  }

  /**
   * Whether the bucket itself enforces object lock: a legal hold set on a small probe object
   * reads back ON (AWS refuses holds on a bucket created without object lock, with 400
   * InvalidRequest). The probe object is released and deleted afterwards. Failures to reach
   * the bucket at all are thrown (503), not reported as "no lock".
   */
  async supportsObjectLock(prefix: string): Promise<boolean> {
    const blob = await this.put(prefix, Readable.from([Buffer.from("s3gw object-lock probe\n")]), {});
    try {
      await this.setLegalHold(blob.storageKey, true);
    } catch (err) {
      await this.delete(blob.storageKey).catch(() => {});
      if (lockUnsupported(err)) return false;
      throw err;
    }
    try {
      const { s3, client } = await this.connected();
      const got = await client.send(new s3.GetObjectLegalHoldCommand({ Bucket: this.bucket, Key: this.keyOf(blob.storageKey) })).catch((err: unknown) => {
        throw backendFailure(err);
      });
      return got.LegalHold?.Status === "ON";
    } finally {
      await this.setLegalHold(blob.storageKey, false).catch(() => {});
      await this.delete(blob.storageKey).catch(() => {});
    }
  }

  /** Places or lifts the bucket's own legal hold on a key (PutObjectLegalHold). */
  async setLegalHold(storageKey: string, on: boolean): Promise<void> {
    const { s3, client } = await this.connected();
    await client
      .send(new s3.PutObjectLegalHoldCommand({ Bucket: this.bucket, Key: this.keyOf(storageKey), LegalHold: { Status: on ? "ON" : "OFF" } }))
      .catch((err: unknown) => {
        throw lockUnsupported(err) ? err : backendFailure(err);
      });
  }

  /** Sets the bucket's own retention on a key (PutObjectRetention); COMPLIANCE cannot be shortened afterwards, by anyone. */
  async setRetention(storageKey: string, mode: "GOVERNANCE" | "COMPLIANCE", until: Date): Promise<void> {
    const { s3, client } = await this.connected();
    await client
      .send(new s3.PutObjectRetentionCommand({ Bucket: this.bucket, Key: this.keyOf(storageKey), Retention: { Mode: mode, RetainUntilDate: until } }))
      .catch((err: unknown) => {
        throw lockUnsupported(err) ? err : backendFailure(err);
      });
  }

  /** Closes pooled connections; the provider is unusable afterwards. */
  destroy(): void {
    void this.sdk?.then((sdk) => sdk.client.destroy(), () => {});
  }

  /** The SDK and this provider's client, loaded and built once, on first use (a failed load is tried again next time). */
  private connect(): Promise<Sdk> {
    this.sdk ??= (async () => {
      const [s3, storage] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage")]);
      return { s3, Upload: storage.Upload, client: new s3.S3Client(this.clientConfig) };
    })().catch((err: unknown) => {
      this.sdk = undefined;
      throw err;
    });
    return this.sdk;
  }

  /** connect(), with a failure to load the SDK reported as the backend being unavailable (503). */
  private connected(): Promise<Sdk> {
    return this.connect().catch((err: unknown) => {
      throw backendFailure(err);
    });
  }

  private keyOf(storageKey: string): string {
    if (!KEY_RE.test(storageKey)) throw new Error("invalid storage key");
    return this.base + storageKey;
  }

  private relative(key: string | undefined): string | undefined {
    if (!key?.startsWith(this.base)) return undefined;
    const rest = key.slice(this.base.length);
    return KEY_RE.test(rest) ? rest : undefined;
  }
}

/** The bucket answered, and said it has no object lock (AWS: 400 InvalidRequest; others: 501 NotImplemented). */
function lockUnsupported(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return e.name === "InvalidRequest" || e.name === "NotImplemented" || e.name === "ObjectLockConfigurationNotFoundError" || status === 400 || status === 501;
}

/** A client that hangs up mid-upload is the client's error (IncompleteBody), not the server's. */
function bodyFailure(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNRESET" || code === "ABORT_ERR" || (err as Error).message === "aborted") {
    return s3Error("IncompleteBody", undefined, { cause: err });
  }
  return err;
}
