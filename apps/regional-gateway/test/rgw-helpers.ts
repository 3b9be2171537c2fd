import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AbortMultipartUploadCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";

// Ceph RGW as the S3 service under the `s3` provider: infra/rgw/start.sh brings up (or reuses)
// the single-node cluster under $S3GW_RGW_DIR, each test file holding it while it runs; the last
// holder's release stops a cluster a holder started (one started by hand is left running).

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SCRIPTS = resolve(REPO_ROOT, "infra/rgw");
const BINARIES = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph"];

/** Whether the Debian Ceph packages are installed (ceph-mon ceph-osd radosgw ceph-common). */
export const rgwInstalled = BINARIES.every((b) => existsSync(`/usr/bin/${b}`));

/**
 * Call at the top of an RGW test file: the file's tests run when the packages are here; without
 * them they are skipped with a loud message, except in CI (CI=true), where absence fails the run.
 */
export function requireRgw(file: string): boolean {
  if (rgwInstalled) return true;
  const missing = BINARIES.filter((b) => !existsSync(`/usr/bin/${b}`)).join(", ");
  if (process.env.CI === "true" || process.env.CI === "1") {
    throw new Error(`${file}: Ceph RGW is required in CI but ${missing} are missing (install ceph-mon ceph-osd radosgw ceph-common; .ci/run does)`);
  }
  console.warn(
    `\n!!! ${file}: SKIPPED: Ceph RGW is not installed (${missing} missing). These tests run the s3 provider against a real Ceph RGW;\n` +
      "!!! install it with: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common\n",
  );
  return false;
}

export interface Rgw {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A client of RGW itself (the test's view of what the bucket really holds). */
  sdk: S3Client;
  /** A fresh bucket with a random name, created in RGW. */
  bucket(label: string): Promise<string>;
  /** Every key in a bucket, as RGW lists it. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** An object's bytes as RGW stores them. */
  bytes(bucket: string, key: string): Promise<Buffer>;
  /** One more radosgw onto the same cluster, on a port of its own (stoppable without disturbing other tests). */
  extraGateway(): Promise<{ endpoint: string; stop(): Promise<void>; start(): Promise<void>; freeze(): void; thaw(): void }>;
  /** Empties and deletes this file's buckets, drops its hold; stops the cluster if this was the last holder of a cluster holders started. */
  release(): Promise<void>;
}

function run(script: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile("bash", [resolve(SCRIPTS, script), ...args], { timeout: timeoutMs, env: { ...process.env, S3GW_RGW_HOLDER_PID: String(process.pid) } }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Starts (or joins) the cluster through infra/rgw/start.sh, as holder `tag`. Throws with the script's output if it cannot. */
export async function acquireRgw(tag: string): Promise<Rgw> {
  const holder = `${tag}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const started = await run("start.sh", ["--holder", holder], 600_000);
  if (started.code !== 0) throw new Error(`infra/rgw/start.sh exited ${started.code}:\n${started.stderr.slice(-3000)}`);
  const out = Object.fromEntries(started.stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replace(/^'(.*)'$/, "$1")]));
  const credentials = { accessKeyId: out.S3GW_RGW_ACCESS_KEY_ID!, secretAccessKey: out.S3GW_RGW_SECRET_ACCESS_KEY! };
  const endpoint = out.S3GW_RGW_ENDPOINT!;
  const sdk = new S3Client({ endpoint, region: out.S3GW_RGW_REGION!, forcePathStyle: true, credentials });
  const extras: string[] = [];
  const buckets: string[] = [];
  const keys = async (Bucket: string, Prefix?: string) => {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await sdk.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken: token }));
      found.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  };
  /** The cluster is kept between runs: what a file created goes with it (best effort, bounded by the SDK's timeouts). */
  const removeBucket = async (Bucket: string) => {
    for (const Key of await keys(Bucket)) await sdk.send(new DeleteObjectCommand({ Bucket, Key }));
    const uploads = await sdk.send(new ListMultipartUploadsCommand({ Bucket }));
    for (const u of uploads.Uploads ?? []) await sdk.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key!, UploadId: u.UploadId! }));
    await sdk.send(new DeleteBucketCommand({ Bucket }));
  };
  return {
    endpoint,
    region: out.S3GW_RGW_REGION!,
    ...credentials,
    credentials,
    sdk,
    async bucket(label) {
      const name = `${label}-${randomBytes(4).toString("hex")}`;
      await sdk.send(new CreateBucketCommand({ Bucket: name }));
      buckets.push(name);
      return name;
    },
    keys,
    async bytes(Bucket, Key) {
      const res = await sdk.send(new GetObjectCommand({ Bucket, Key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    async extraGateway() {
      const name = `t${randomBytes(4).toString("hex")}`;
      const port = await freePort();
      extras.push(name);
      const start = async () => {
        const r = await run("gateway.sh", ["start", name, String(port)], 120_000);
        if (r.code !== 0) throw new Error(`infra/rgw/gateway.sh start exited ${r.code}:\n${r.stderr.slice(-2000)}`);
      };
      const stop = async () => {
        const r = await run("gateway.sh", ["stop", name], 60_000);
        if (r.code !== 0) throw new Error(`infra/rgw/gateway.sh stop exited ${r.code}:\n${r.stderr.slice(-2000)}`);
      };
      await start();
      // A hung backend, not a dead one: the process keeps its socket and answers nothing (SIGSTOP).
      const signal = (sig: NodeJS.Signals) => {
        const pid = Number(readFileSync(resolve(process.env.S3GW_RGW_DIR ?? "/tmp/s3gw-rgw", "run", `client.rgw.${name}.pid`), "utf8").trim());
        process.kill(pid, sig);
      };
      return { endpoint: `http://127.0.0.1:${port}`, start, stop, freeze: () => signal("SIGSTOP"), thaw: () => signal("SIGCONT") };
    },
    async release() {
      const failures: string[] = [];
      for (const name of extras) await run("gateway.sh", ["stop", name], 60_000);
      for (const b of buckets) await removeBucket(b).catch((err: unknown) => failures.push(`${b}: ${(err as Error).name}`));
      sdk.destroy();
      const r = await run("stop.sh", ["--holder", holder], 120_000);
      if (r.code !== 0) throw new Error(`infra/rgw/stop.sh exited ${r.code}:\n${r.stderr.slice(-2000)}`);
      if (failures.length > 0) throw new Error(`could not remove RGW buckets ${failures.join(", ")}`);
    },
  };
}
