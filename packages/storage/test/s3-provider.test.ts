import { createHash, randomUUID } from "node:crypto";
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { AppError } from "@s3gw/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, register, startTestRegion, type TestRegion } from "../../../apps/regional-gateway/test/harness.ts";
import { generatedBody } from "../../../test/support/bytes.ts";
import { BlobNotFoundError, classifyBackendError, S3Provider, TenantStorage, type S3ProviderOptions } from "../src/index.ts";

// The upstream is a real S3-compatible server on loopback: this repo's own regional gateway
// (SigV4, fs storage underneath), reached with an access key of its customer "backend-owner".
const BUCKET = "backend";
const MiB = 1024 * 1024;
const location = { providerId: "test-s3", regionId: "FI-HEL", country: "FI" };
let upstream: TestRegion;
let creds: { accessKeyId: string; secretAccessKey: string };
let backend: S3Client;
const cleanups: (() => unknown)[] = [];
let prefixes = 0;

beforeAll(async () => {
  upstream = await startTestRegion("FI-HEL");
  expect((await register(upstream.url, "backend-owner")).status).toBe(201);
  creds = await accessKey();
  backend = new S3Client({ endpoint: upstream.url, region: "us-east-1", forcePathStyle: true, credentials: creds });
  await backend.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  backend?.destroy();
  await upstream?.destroy();
});

async function accessKey(body: Record<string, unknown> = {}): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const res = await fetch(`${upstream.url}/api/customers/backend-owner/access-keys`, {
    method: "POST",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  const key = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key };
}

/** A provider on the upstream under a path prefix of its own, so each test sees only its keys. */
function provider(overrides: Partial<S3ProviderOptions> = {}): S3Provider & { pathPrefix: string } {
  const pathPrefix = overrides.pathPrefix ?? `region-${++prefixes}/objects`;
  const p = new S3Provider({ location, endpoint: upstream.url, region: "us-east-1", bucket: BUCKET, credentials: creds, ...overrides, pathPrefix });
  cleanups.push(() => p.destroy());
  return Object.assign(p, { pathPrefix });
}

async function backendKeys(prefix: string): Promise<string[]> {
  const res = await backend.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!);
}

async function backendUploads(prefix: string): Promise<string[]> {
  const res = await backend.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Uploads ?? []).map((u) => u.Key!);
}

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** An HTTP proxy in front of the upstream that records each request's method, URL and headers. */
async function recordingProxy(failWhen: (method: string, url: URL) => boolean = () => false): Promise<{ url: string; seen: { method: string; url: string; headers: IncomingHttpHeaders }[] }> {
  const target = new URL(upstream.url);
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createHttpServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (failWhen(req.method!, new URL(req.url!, "http://proxy"))) {
      req.resume();
      res.writeHead(500, { "content-type": "application/xml" }).end("<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>");
      return;
    }
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

describe("S3Provider against a real S3-compatible upstream", () => {
  it("stores under <prefix>/<tenant key> with a tenant_id tag, reads whole and ranged, deletes", async () => {
    const p = provider();
    const acme = new TenantStorage(p, "acme-corp");
    const blob = await acme.put(Readable.from([Buffer.from("hello "), Buffer.from("world")]), { expectedSize: 11, contentMd5: createHash("md5").update("hello world").digest() });
    expect(blob.storageKey).toMatch(/^tenant-acme-corp\/[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    expect(blob).toMatchObject({ size: 11, md5Hex: createHash("md5").update("hello world").digest("hex"), sha256Hex: sha256("hello world") });
    expect(await backendKeys("")).toContain(`${p.pathPrefix}/${blob.storageKey}`);
    const tags = await backend.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: `${p.pathPrefix}/${blob.storageKey}` }));
    expect(tags.TagSet).toEqual([{ Key: "tenant_id", Value: "acme-corp" }]);

    expect(await text(await acme.get(blob.storageKey))).toBe("hello world");
    expect(await text(await acme.get(blob.storageKey, { start: 6, end: 10 }))).toBe("world");
    expect(await text(await acme.get(blob.storageKey, { start: 0, end: 0 }))).toBe("h");

    await acme.delete(blob.storageKey);
    await acme.delete(blob.storageKey); // already gone: fine
    await expect(acme.get(blob.storageKey)).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await backendKeys(`${p.pathPrefix}/`)).toEqual([]);
  });

  it("refuses a wrong Content-MD5, a short or long body and a client hang-up, keeping nothing", async () => {
    const p = provider();
    const t = new TenantStorage(p, "acme-corp");
    await expect(t.put(Readable.from([Buffer.from("abc")]), { contentMd5: Buffer.alloc(16) })).rejects.toMatchObject({ code: "BadDigest" });
    await expect(t.put(Readable.from([Buffer.from("abc")]), { expectedSize: 5 })).rejects.toMatchObject({ code: "IncompleteBody" });
    await expect(t.put(Readable.from([Buffer.from("abcdef")]), { maxSize: 3 })).rejects.toMatchObject({ code: "EntityTooLarge" });
    const hangUp = new Readable({ read() {} });
    hangUp.push(Buffer.alloc(1000, 1));
    setImmediate(() => hangUp.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
    await expect(t.put(hangUp, { expectedSize: 5000 })).rejects.toMatchObject({ code: "IncompleteBody", status: 400 });
    expect(await backendKeys(`${p.pathPrefix}/`)).toEqual([]);
    expect(await backendUploads(`${p.pathPrefix}/`)).toEqual([]);
  });

  it("aborts the backend multipart upload when a large body turns out too long", async () => {
    const proxy = await recordingProxy();
    const p = provider({ endpoint: proxy.url });
    const big = generatedBody(24 * MiB, 7);
    await expect(p.put("tenant-acme-corp/", big.stream, { maxSize: 20 * MiB })).rejects.toMatchObject({ code: "EntityTooLarge" });
    const calls = proxy.seen.map((s) => {
      const q = new URL(s.url, "http://proxy").searchParams;
      return `${s.method} ${q.has("uploads") ? "?uploads" : q.has("uploadId") ? "?uploadId" : ""}`;
    });
    expect(calls).toContain("POST ?uploads");
    expect(calls).toContain("PUT ?uploadId");
    expect(calls).toContain("DELETE ?uploadId");
    expect(calls).not.toContain("POST ?uploadId"); // never completed
    expect(await backendKeys(`${p.pathPrefix}/`)).toEqual([]);
    expect(await backendUploads(`${p.pathPrefix}/`)).toEqual([]);
  }, 60_000);

  it("answers a backend failure mid-multipart with a 503, aborting the upload and releasing the body", async () => {
    const proxy = await recordingProxy((method, url) => method === "PUT" && url.searchParams.get("partNumber") === "2");
    const p = provider({ endpoint: proxy.url });
    const big = generatedBody(40 * MiB, 9);
    const err = await p.put("tenant-acme-corp/", big.stream, { expectedSize: 40 * MiB }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "ServiceUnavailable", status: 503, message: "storage backend unavailable: InternalError, HTTP 500" });
    // maxAttempts (3) tries of the failing part, then the abort.
    expect(proxy.seen.filter((s) => s.method === "PUT" && new URL(s.url, "http://proxy").searchParams.get("partNumber") === "2")).toHaveLength(3);
    expect(proxy.seen.some((s) => s.method === "DELETE" && s.url.includes("uploadId="))).toBe(true);
    expect(big.stream.destroyed).toBe(true);
    expect(await backendKeys(`${p.pathPrefix}/`)).toEqual([]);
    expect(await backendUploads(`${p.pathPrefix}/`)).toEqual([]);
  }, 60_000);

  it("sends a 40 MiB body as a multipart upload, tagged, that reads back byte for byte", async () => {
    const p = provider();
    const body = generatedBody(40 * MiB, 42);
    const blob = await p.put("tenant-acme-corp/", body.stream, { expectedSize: 40 * MiB });
    expect(blob.size).toBe(40 * MiB);
    expect(blob.sha256Hex).toBe(body.sha256());
    const key = `${p.pathPrefix}/${blob.storageKey}`;
    // 8 MiB parts: the backend's ETag of ETags names 5 parts.
    expect((await backend.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag).toMatch(/-5"$/);
    expect((await backend.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet).toEqual([{ Key: "tenant_id", Value: "acme-corp" }]);
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of await p.get(blob.storageKey)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    expect({ size, sha: hash.digest("hex") }).toEqual({ size: 40 * MiB, sha: body.sha256() });
    // A range across the first part boundary matches the same bytes of a regenerated body.
    const again = generatedBody(40 * MiB, 42);
    const all: Buffer[] = [];
    let got = 0;
    for await (const chunk of again.stream) {
      all.push(chunk as Buffer);
      got += (chunk as Buffer).length;
      if (got > 9 * MiB) break;
    }
    const expected = Buffer.concat(all).subarray(8 * MiB - 10, 8 * MiB + 10);
    const ranged = Buffer.concat(await (await p.get(blob.storageKey, { start: 8 * MiB - 10, end: 8 * MiB + 9 })).toArray());
    expect(ranged.equals(expected)).toBe(true);
    await p.delete(blob.storageKey);
  }, 120_000);

  it("sends the configured server-side encryption headers and the tenant tag", async () => {
    const proxy = await recordingProxy();
    // The backend refuses a key id that is not one of its customer's keys, as AWS does.
    const created = await fetch(`${upstream.url}/api/customers/backend-owner/keys`, { method: "POST", headers: { ...adminAuth, "content-type": "application/json" }, body: "{}" });
    expect(created.status).toBe(201);
    const { arn } = (await created.json()) as { arn: string };
    const kms = provider({ endpoint: proxy.url, sse: { mode: "aws:kms", kmsKeyId: arn } });
    await kms.put("tenant-acme-corp/", Readable.from([Buffer.from("secret")]), {});
    const aes = provider({ endpoint: proxy.url, sse: { mode: "AES256" } });
    await aes.put("tenant-globex/", Readable.from([Buffer.from("secret")]), {});
    const puts = proxy.seen.filter((s) => s.method === "PUT");
    expect(puts.map((s) => [s.headers["x-amz-server-side-encryption"], s.headers["x-amz-server-side-encryption-aws-kms-key-id"], s.headers["x-amz-tagging"]])).toEqual([
      ["aws:kms", arn, "tenant_id=acme-corp"],
      ["AES256", undefined, "tenant_id=globex"],
    ]);
  });

  it("lists tenant keys under its own path prefix only, skipping foreign keys", async () => {
    const p = provider();
    const a1 = await p.put("tenant-acme-corp/", Readable.from([Buffer.from("1")]), {});
    const a2 = await p.put("tenant-acme-corp/", Readable.from([Buffer.from("2")]), {});
    const g1 = await p.put("tenant-globex/", Readable.from([Buffer.from("3")]), {});
    for (const foreign of ["README", "tenant-acme-corp/zz/not-a-blob", "tenant-acme-corp-extra"]) {
      await backend.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${p.pathPrefix}/${foreign}`, Body: "x" }));
    }
    const keys = async (prefix: string) => {
      const out: { storageKey: string; modifiedAt: Date }[] = [];
      for await (const b of p.list(prefix)) out.push(b);
      return out;
    };
    const acme = await keys("tenant-acme-corp/");
    expect(acme.map((b) => b.storageKey).sort()).toEqual([a1.storageKey, a2.storageKey].sort());
    expect(acme.every((b) => b.modifiedAt instanceof Date && b.modifiedAt.getTime() > 0)).toBe(true);
    expect((await keys("")).map((b) => b.storageKey).sort()).toEqual([a1.storageKey, a2.storageKey, g1.storageKey].sort());
    const sibling = provider();
    const siblingKeys: string[] = [];
    for await (const b of sibling.list("")) siblingKeys.push(b.storageKey);
    expect(siblingKeys).toEqual([]);
    await expect(sibling.get(a1.storageKey)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect((async () => { for await (const _ of p.list("../")) void _; })()).rejects.toThrow(/invalid storage prefix/);
  });

  it("keeps tenants apart through TenantStorage and refuses malformed keys", async () => {
    const p = provider();
    const acme = new TenantStorage(p, "acme-corp");
    const other = new TenantStorage(p, "globex");
    const blob = await acme.put(Readable.from([Buffer.from("secret")]), {});
    expect(() => other.get(blob.storageKey)).toThrowError(/outside the tenant/);
    expect(() => other.delete(blob.storageKey)).toThrowError(/outside the tenant/);
    expect(() => other.get("tenant-globex/../tenant-acme-corp/x")).toThrowError(/outside the tenant/);
    await expect(p.get("tenant-globex/00/../../../etc/passwd")).rejects.toThrowError(/invalid storage key/);
    await expect(p.put("../", Readable.from([]), {})).rejects.toThrowError(/invalid storage prefix/);
    expect(() => new S3Provider({ location, region: "us-east-1", bucket: BUCKET, credentials: creds, pathPrefix: "/abs" })).toThrowError(/path prefix/);
    expect(() => new S3Provider({ location, region: "us-east-1", bucket: BUCKET, credentials: creds, pathPrefix: "a/../b" })).toThrowError(/path prefix/);
    expect(await text(await acme.get(blob.storageKey))).toBe("secret");
  });

  it("sweeps its own abandoned multipart uploads begun before the cutoff, and nothing else", async () => {
    const p = provider();
    const ours = `${p.pathPrefix}/tenant-acme-corp/ab/${randomUUID()}`;
    const foreignShape = `${p.pathPrefix}/notes/draft.txt`;
    const otherPrefix = `elsewhere-${randomUUID()}/tenant-acme-corp/cd/${randomUUID()}`;
    for (const Key of [ours, foreignShape, otherPrefix]) await backend.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    expect(await p.sweepIncomplete(new Date(Date.now() - 3_600_000))).toBe(0);
    expect((await backendUploads(`${p.pathPrefix}/`)).sort()).toEqual([ours, foreignShape].sort());
    expect(await p.sweepIncomplete(new Date(Date.now() + 60_000))).toBe(1);
    expect(await backendUploads(`${p.pathPrefix}/`)).toEqual([foreignShape]);
    expect(await backendUploads(otherPrefix)).toEqual([otherPrefix]);
  });

  it("reports health from a one-key listing", async () => {
    expect(await provider().health()).toEqual({ ok: true });
    expect(await provider({ bucket: "no-such-bucket" }).health()).toEqual({ ok: false, detail: "no_such_bucket: NoSuchBucket, HTTP 404" });
    const down = await provider({ endpoint: `http://127.0.0.1:${await closedPort()}` }).health();
    expect(down).toEqual({ ok: false, detail: "unreachable_endpoint: ECONNREFUSED" });
  }, 15_000);
});

describe("backend failures become 503s with a class", () => {
  async function failure(p: Promise<unknown>): Promise<AppError> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "ServiceUnavailable", status: 503 });
    return err as AppError;
  }

  it("a wrong secret: invalid_credentials, blamed on the gateway's configuration, secret never echoed", async () => {
    const secret = "wrong-secret-0123456789abcdefghijklmnopqrstuv";
    const p = provider({ credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: secret } });
    const err = await failure(p.put("tenant-acme-corp/", Readable.from([Buffer.from("x")]), {}));
    expect(err.message).toBe("storage backend refused the gateway's credentials (SignatureDoesNotMatch, HTTP 403)");
    expect(classifyBackendError(err)).toBe("invalid_credentials");
    expect(JSON.stringify({ message: err.message, health: await p.health() })).not.toContain(secret);
    expect((await p.health()).detail).toMatch(/^invalid_credentials: /);
  }, 15_000);

  it("an unknown access key: invalid_credentials", async () => {
    const p = provider({ credentials: { accessKeyId: "S3GWAAAAAAAAAAAAAAAA", secretAccessKey: creds.secretAccessKey } });
    const err = await failure(p.get(`tenant-acme-corp/ab/${randomUUID()}`));
    expect(err.message).toMatch(/refused the gateway's credentials \(InvalidAccessKeyId/);
    expect(classifyBackendError(err)).toBe("invalid_credentials");
  }, 15_000);

  it("a read-only key writing: missing_permission", async () => {
    const p = provider({ credentials: await accessKey({ permission: "read-only" }) });
    const err = await failure(p.put("tenant-acme-corp/", Readable.from([Buffer.from("x")]), {}));
    expect(err.message).toBe("storage backend refused the gateway's credentials (AccessDenied, HTTP 403)");
    expect(classifyBackendError(err)).toBe("missing_permission");
  }, 15_000);

  it("a missing bucket: no_such_bucket", async () => {
    const p = provider({ bucket: "no-such-bucket" });
    const err = await failure(p.get(`tenant-acme-corp/ab/${randomUUID()}`));
    expect(err.message).toBe("storage backend unavailable: NoSuchBucket, HTTP 404");
    expect(classifyBackendError(err)).toBe("no_such_bucket");
    expect(classifyBackendError(await failure(p.put("tenant-acme-corp/", Readable.from([Buffer.from("x")]), {})))).toBe("no_such_bucket");
  }, 15_000);

  it("a closed port: unreachable_endpoint, and get fails instead of hanging", async () => {
    const p = provider({ endpoint: `http://127.0.0.1:${await closedPort()}` });
    const err = await failure(p.get(`tenant-acme-corp/ab/${randomUUID()}`));
    expect(err.message).toBe("storage backend unavailable: ECONNREFUSED");
    expect(classifyBackendError(err)).toBe("unreachable_endpoint");
    const putErr = await failure(p.put("tenant-acme-corp/", Readable.from([Buffer.from("x")]), {}));
    expect(classifyBackendError(putErr)).toBe("unreachable_endpoint");
    const listing = (async () => { for await (const _ of p.list("")) void _; })();
    expect(classifyBackendError(await failure(listing))).toBe("unreachable_endpoint");
  }, 15_000);

  it("a backend that accepts connections but never answers: the request times out as a 503", async () => {
    const sockets = new Set<Socket>();
    const server = createNetServer((s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => { for (const s of sockets) s.destroy(); return new Promise((r) => server.close(r)); });
    const p = provider({ endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requestTimeoutMs: 500, maxAttempts: 1 });
    const err = await failure(p.get(`tenant-acme-corp/ab/${randomUUID()}`));
    expect(err.message).toBe("storage backend unavailable: ETIMEDOUT");
    expect(classifyBackendError(err)).toBe("unreachable_endpoint");
    expect(sockets.size).toBeGreaterThan(0);
  }, 15_000);

  it("TLS spoken to a plain HTTP port: tls_error", async () => {
    const p = provider({ endpoint: upstream.url.replace("http://", "https://"), maxAttempts: 1 });
    const err = await failure(p.get(`tenant-acme-corp/ab/${randomUUID()}`));
    expect(classifyBackendError(err)).toBe("tls_error");
    expect((await p.health()).detail).toMatch(/^tls_error: /);
  }, 15_000);

  it("classifies answers a loopback upstream cannot give by their S3 codes", () => {
    const answer = (name: string, status: number, message = "") => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
    expect(classifyBackendError(answer("PermanentRedirect", 301))).toBe("wrong_region");
    expect(classifyBackendError(answer("AuthorizationHeaderMalformed", 400, "the region 'us-east-1' is wrong; expecting 'eu-north-1'"))).toBe("wrong_region");
    expect(classifyBackendError(answer("IllegalLocationConstraintException", 400))).toBe("wrong_region");
    expect(classifyBackendError(answer("AccessDenied", 403, "User: arn:aws:iam::1:user/gw is not authorized to perform: s3:PutObject with an explicit deny in a resource-based policy"))).toBe("bucket_policy_conflict");
    expect(classifyBackendError(answer("AccessDenied", 403, "because no identity-based policy allows the s3:PutObject action"))).toBe("missing_permission");
    expect(classifyBackendError(answer("ExpiredToken", 400))).toBe("invalid_credentials");
    expect(classifyBackendError(Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }))).toBe("tls_error");
    expect(classifyBackendError(Object.assign(new Error("getaddrinfo ENOTFOUND s3.invalid"), { code: "ENOTFOUND" }))).toBe("unreachable_endpoint");
    expect(classifyBackendError(answer("InternalError", 500))).toBe("unknown");
  });
});
