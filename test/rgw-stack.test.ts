import { createHash, randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createTestDatabase } from "@s3gw/db/testing";
import type { RunningGlobalRouter } from "@s3gw/global-router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRouter } from "./support/stack.ts";
import { ADMIN_TOKEN, adminAuth, TEST_GATEWAY_SECRET, TEST_TOPOLOGY } from "../apps/regional-gateway/test/harness.ts";
import { acquireRgw, requireRgw, type Rgw } from "../apps/regional-gateway/test/rgw-helpers.ts";
import { freePort, spawnNode, waitForHealth } from "./support/processes.ts";

// The production-like stack on Ceph RGW: a regional gateway process configured only by its
// environment (topology provider `s3` + HOSTED_S3_*, as README and docker-compose.two-layer.yml
// describe), behind the global router, used by a real S3 client with a SigV4 access key.
const available = requireRgw("rgw-stack.test.ts");
const sha = (b: Buffer | Uint8Array) => createHash("sha256").update(b).digest("hex");
let rgw: Rgw;
let bucket: string;
let router: RunningGlobalRouter;
let closeRouter: () => Promise<void>;
let dropRegional: () => Promise<void>;
let regionEnv: Record<string, string>;
let region: { child: ChildProcess; output: () => string } | undefined;
let regionUrl: string;
let client: S3Client;

async function startRegion(): Promise<void> {
  region = spawnNode("apps/regional-gateway/src/server.ts", regionEnv);
  try {
    await waitForHealth(regionUrl, 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${region.output()}`);
  }
}
async function killRegion(signal: NodeJS.Signals): Promise<void> {
  if (!region || region.child.exitCode !== null || region.child.signalCode !== null) return;
  const exited = once(region.child, "exit");
  region.child.kill(signal);
  await exited;
}

describe.skipIf(!available)("a region process on Ceph RGW behind the global router", () => {
  beforeAll(async () => {
    rgw = await acquireRgw("stack");
    bucket = await rgw.bucket("fi-hel-hosted");
    const port = await freePort();
    regionUrl = `http://127.0.0.1:${port}`;
    const topology = {
      regions: TEST_TOPOLOGY.regions.map((r) =>
        r.region_id === "FI-HEL" ? { ...r, endpoint: regionUrl, provider: { provider_id: "fi-hel-rgw", type: "s3" as const, country: "FI", endpoint: rgw.endpoint } } : r,
      ),
    };
    ({ router, close: closeRouter } = await startTestRouter(topology, { upstream: { connectTimeoutMs: 1000, headersTimeoutMs: 30_000, bodyTimeoutMs: 120_000 } }));
    const regionalDb = await createTestDatabase("FI-HEL");
    dropRegional = regionalDb.drop;
    regionEnv = {
      REGION_ID: "FI-HEL",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: regionalDb.url,
      TOPOLOGY_JSON: JSON.stringify(topology),
      HOSTED_S3_BUCKET: bucket,
      HOSTED_S3_REGION: rgw.region,
      HOSTED_S3_ACCESS_KEY_ID: rgw.accessKeyId,
      HOSTED_S3_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      HOSTED_S3_PREFIX: "gateway",
      ADMIN_TOKEN,
      MASTER_KEYS: `stack-k1:${Buffer.alloc(32, 5).toString("base64")}`,
      GATEWAY_SHARED_SECRET: TEST_GATEWAY_SECRET,
      GLOBAL_ROUTER_URL: router.url,
      LOG_LEVEL: "warn",
    };
    await startRegion();
    expect((await fetch(`${router.url}/routing/customers/acme-corp?region_id=FI-HEL`, { method: "POST", headers: adminAuth })).status).toBe(201);
    const registered = await fetch(`${regionUrl}/api/customers/acme-corp/register`, {
      method: "POST",
      headers: { "content-type": "application/json", ...adminAuth },
      body: JSON.stringify({ customer_name: "Acme", country: "FI", data_residency_requirement: "strict", primary_contact_email: "a@acme.fi", compliance_officer_email: "d@acme.fi" }),
    });
    expect(registered.status).toBe(201);
    const keyRes = await fetch(`${regionUrl}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
    expect(keyRes.status).toBe(201);
    const key = (await keyRes.json()) as { access_key_id: string; secret_access_key: string };
    client = new S3Client({ endpoint: router.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key } });
  }, 600_000);
  afterAll(async () => {
    client?.destroy();
    await killRegion("SIGTERM");
    await closeRouter?.();
    await dropRegional?.();
    await rgw?.release();
  }, 180_000);

  it("serves an SDK through the router; a kill -9 of the region loses nothing acknowledged; RGW holds only ciphertext", async () => {
    const health = (await (await fetch(`${regionUrl}/health`)).json()) as { storage: { status: string; type: string } };
    expect(health.storage).toMatchObject({ status: "ok", type: "s3" });
    await client.send(new CreateBucketCommand({ Bucket: "documents" }));
    const small = Buffer.concat([Buffer.from("PERSONAL-DATA-MARKER "), randomBytes(4000)]);
    await client.send(new PutObjectCommand({ Bucket: "documents", Key: "small.bin", Body: small }));
    const big = randomBytes(12 * 1024 * 1024);
    await new Upload({ client, params: { Bucket: "documents", Key: "big.bin", Body: big }, partSize: 5 * 1024 * 1024 }).done();
    await client.send(new PutObjectCommand({ Bucket: "documents", Key: "gone.txt", Body: "to be deleted" }));
    await client.send(new DeleteObjectCommand({ Bucket: "documents", Key: "gone.txt" }));

    await killRegion("SIGKILL");
    await startRegion();

    const listed = await client.send(new ListObjectsV2Command({ Bucket: "documents" }));
    expect((listed.Contents ?? []).map((o) => [o.Key, o.Size])).toEqual([["big.bin", big.length], ["small.bin", small.length]]);
    const got = await client.send(new GetObjectCommand({ Bucket: "documents", Key: "big.bin" }));
    expect(sha(await got.Body!.transformToByteArray())).toBe(sha(big));
    const ranged = await client.send(new GetObjectCommand({ Bucket: "documents", Key: "big.bin", Range: "bytes=5242870-5242889" }));
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(big.subarray(5_242_870, 5_242_890))).toBe(true);
    const head = await client.send(new HeadObjectCommand({ Bucket: "documents", Key: "small.bin" }));
    expect(head.ContentLength).toBe(small.length);
    expect(head.ServerSideEncryption).toBe("AES256");
    expect(Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: "documents", Key: "small.bin" }))).Body!.transformToByteArray()).equals(small)).toBe(true);

    const stored = await rgw.keys(bucket);
    expect(stored.length).toBeGreaterThanOrEqual(4); // small.bin + the three parts of big.bin
    for (const k of stored) {
      expect(k).toMatch(/^gateway\/tenant-acme-corp\//);
      expect((await rgw.bytes(bucket, k)).includes("PERSONAL-DATA-MARKER"), k).toBe(false);
    }
  });
});
