import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { type BackendErrorClass, BlobNotFoundError, classifyBackendError, isBackendError, shortReason, type StorageProvider, tenantPrefix } from "@s3gw/storage";
import { isAppError } from "@s3gw/core";

export const PROBE_CHECKS = ["bucket_exists", "write", "prefix_enforcement", "read_back", "delete", "deleted"] as const;
type CheckName = (typeof PROBE_CHECKS)[number];

export interface ProbeCheck { name: CheckName; ok: boolean; detail: string }
export interface ProbeResult { ok: boolean; checks: ProbeCheck[]; errorClass?: BackendErrorClass; error?: string }

/** A failed check: its class and a short description that never carries the backend's own message (it may echo request details). */
class CheckFailure extends Error {
  readonly errorClass: BackendErrorClass;
  constructor(errorClass: BackendErrorClass, message: string) {
    super(message);
    this.errorClass = errorClass;
  }
}

/**
 * Proves a customer bucket can hold this customer's objects, the way the write path will use
 * it: the bucket answers, a blob written through the provider's own put lands under the
 * configured path prefix and the tenant's prefix, reads back byte for byte, and is gone after
 * a delete. Each step is bounded by `stepMs`, so a black-holed endpoint fails the probe
 * instead of hanging the request that runs it.
 */
export async function probeStorage(
  provider: StorageProvider,
  target: { customerId: string; pathPrefix: string | null },
  stepMs: number,
): Promise<ProbeResult> {
  const checks: ProbeCheck[] = [];
  const prefix = tenantPrefix(target.customerId);
  const payload = Buffer.concat([Buffer.from("s3gw storage probe\n"), randomBytes(32)]);
  let written: string | undefined;
  const step = async (name: CheckName, run: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await bounded(run(), stepMs, name) });
    } catch (err) {
      const failure = err instanceof CheckFailure ? err : new CheckFailure(classOf(err), describe(err));
      checks.push({ name, ok: false, detail: failure.message });
      throw failure;
    }
  };

  try {
    await step("bucket_exists", async () => {
      // Listing the tenant's prefix is the cheapest call that needs the bucket, the region and the credentials to be right.
      for await (const _ of provider.list(prefix)) break;
      return "bucket answers a listing under the tenant's prefix";
    });
    await step("write", async () => {
      const md5 = createHash("md5").update(payload).digest();
      const blob = await provider.put(prefix, Readable.from([payload]), { expectedSize: payload.length, contentMd5: md5 });
      written = blob.storageKey;
      return `wrote ${blob.size} bytes`;
    });
    await step("prefix_enforcement", async () => {
      const key = backendKey(target.pathPrefix, written!);
      const wanted = backendKey(target.pathPrefix, prefix);
      if (!written!.startsWith(prefix) || !key.startsWith(wanted)) throw new CheckFailure("unknown", `probe object landed at ${key}, outside ${wanted}`);
      return `probe object at ${key}`;
    });
    await step("read_back", async () => {
      const got = await collect(await provider.get(written!), payload.length + 1);
      if (!got.equals(payload)) throw new CheckFailure("unknown", `read back ${got.length} bytes that differ from the ${payload.length} written`);
      return `read back ${got.length} identical bytes`;
    });
    await step("delete", async () => {
      await provider.delete(written!);
      return "deleted";
    });
    await step("deleted", async () => {
      const stillThere = await provider.get(written!).then(
        (stream) => (stream.destroy(), true),
        (err: unknown) => {
          if (err instanceof BlobNotFoundError) return false;
          throw err;
        },
      );
      // A bucket that keeps an object after a delete is governed by something else (object lock, replication rules).
      if (stillThere) throw new CheckFailure("bucket_policy_conflict", "the probe object is still readable after its delete");
      written = undefined;
      return "gone after delete";
    });
  } catch (err) {
    const failure = err as CheckFailure;
    if (written) await bounded(provider.delete(written), stepMs, "cleanup").catch(() => {});
    for (const name of PROBE_CHECKS.slice(checks.length)) checks.push({ name, ok: false, detail: "not run: an earlier check failed" });
    const failed = checks.find((c) => !c.ok)!;
    return { ok: false, checks, errorClass: failure.errorClass, error: `${failed.name}: ${failure.message}`.slice(0, 300) };
  }
  return { ok: true, checks };
}

function backendKey(pathPrefix: string | null, key: string): string {
  return pathPrefix ? `${pathPrefix}/${key}` : key;
}

function classOf(err: unknown): BackendErrorClass {
  return isBackendError(err) || (isAppError(err) && err.cause !== undefined) || (err as Error)?.name === "TimeoutError" ? classifyBackendError(err) : "unknown";
}

function describe(err: unknown): string {
  if (isBackendError(err) || (isAppError(err) && err.cause !== undefined)) return shortReason(err);
  if ((err as Error)?.name === "TimeoutError") return (err as Error).message;
  if (isAppError(err)) return err.code;
  return (err as Error)?.name ?? "Error";
}

async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} took longer than ${ms} ms`), { name: "TimeoutError" })), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function collect(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}
