import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { awsCli, boto3, sdk, sha256File, type Driver } from "./clients/drivers.ts";
import { rclone, s3cmd } from "./clients/drivers-cli.ts";
import { generatedBody } from "./support/bytes.ts";
import { clientAvailable, runClient, type ClientName, type Credentials } from "./support/s3-clients.ts";
import { onboard, startStack, type RegionId, type TestStack } from "./support/stack.ts";

// Unmodified S3 clients against the global endpoint with SigV4 credentials: every byte
// compared by SHA-256, and each customer's bytes found only in its home region.
const BIG = 100 * 1024 * 1024;
const CASES: { driver: Driver; customer: string; region: RegionId; cli?: ClientName }[] = [
  { driver: awsCli, customer: "cli-corp", region: "FI-HEL", cli: "aws cli" },
  { driver: boto3, customer: "boto-gmbh", region: "DE-FRA", cli: "boto3" },
  { driver: s3cmd, customer: "s3cmd-inc", region: "US-EAST", cli: "s3cmd" },
  { driver: rclone, customer: "rclone-oy", region: "FI-HEL", cli: "rclone" },
  { driver: sdk, customer: "sdk-ag", region: "DE-FRA" },
];
const COUNTRY: Record<RegionId, string> = { "FI-HEL": "FI", "DE-FRA": "DE", "US-EAST": "US" };

let stack: TestStack;
let workDir: string;
let bigPath: string;
let bigSha: string;
let bigHead: string;
const creds = new Map<string, Credentials>();

beforeAll(async () => {
  stack = await startStack();
  workDir = await mkdtemp(join(tmpdir(), "s3gw-clients-"));
  bigPath = join(workDir, "big.bin");
  const body = generatedBody(BIG, 2024);
  await pipeline(body.stream, createWriteStream(bigPath));
  bigSha = body.sha256();
  const fh = await open(bigPath);
  const head = Buffer.alloc(10);
  await fh.read(head, 0, 10, 0);
  await fh.close();
  bigHead = head.toString("hex");
  for (const c of CASES) {
    await onboard(stack, c.customer, c.region, { customer_name: c.customer, country: COUNTRY[c.region], data_residency_requirement: "strict" });
    const res = await fetch(`${stack.regions[c.region].url}/api/customers/${c.customer}/access-keys`, {
      method: "POST",
      headers: { "content-type": "application/json", ...adminAuth },
      body: JSON.stringify({ description: `${c.driver.name} compatibility run` }),
    });
    if (res.status !== 201) throw new Error(`access key for ${c.customer}: ${res.status} ${await res.text()}`);
    const key = (await res.json()) as { access_key_id: string; secret_access_key: string };
    creds.set(c.customer, { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key });
  }
}, 300_000);
afterAll(async () => {
  await stack?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** S3's composite SHA-256 (of the parts' SHA-256s, `-N`) of a file cut into parts of these sizes. */
async function compositeSha256OfFile(path: string, sizes: number[]): Promise<string> {
  const whole = createHash("sha256");
  let offset = 0;
  for (const size of sizes) {
    const part = createHash("sha256");
    if (size > 0) await pipeline(createReadStream(path, { start: offset, end: offset + size - 1 }), part);
    whole.update(part.digest());
    offset += size;
  }
  return `${whole.digest("hex")}-${sizes.length}`;
}

async function tenantDirs(region: RegionId): Promise<string[]> {
  return (await readdir(stack.regions[region].storageDir)).filter((d) => d.startsWith("tenant-"));
}

describe("unmodified S3 clients through the global endpoint", () => {
  for (const c of CASES) {
    const missing = c.cli !== undefined && !clientAvailable(c.cli);
    // CI installs every client; a developer machine without one skips it, loudly.
    it.skipIf(missing && !process.env.CI)(`${c.driver.name}: bucket, small and 100 MiB objects, list, head, range, copy, presigned GET, delete`, async () => {
      expect(missing, `${c.driver.name} is not installed`).toBe(false);
      const presign = async (bucket: string, key: string) => {
        const res = await fetch(`${stack.regions[c.region].url}/api/presign`, {
          method: "POST",
          headers: { "content-type": "application/json", ...adminAuth },
          body: JSON.stringify({ customer_id: c.customer, bucket, key, method: "GET", expires_in: 300 }),
        });
        if (res.status !== 201) throw new Error(`presign: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { url: string }).url;
      };
      const ctx = { endpoint: stack.global.url, creds: creds.get(c.customer)!, bucket: `${c.customer}-bucket`, bigPath, workDir: join(workDir, c.customer), presign };
      await mkdir(ctx.workDir, { recursive: true });
      const r = await c.driver.scenario(ctx);
      expect(r.prefixes).toEqual(["big/", "docs/"]);
      expect(r.docsKeys).toEqual(["docs/small.txt"]);
      expect(r.bigSize).toBe(BIG);
      expect(r.rangeHex).toBe(bigHead);
      expect(r.copy).toBe(c.driver.small);
      expect(r.downloadSha256).toBe(bigSha);
      expect(await runClient("curl", ["-sf", r.presignedUrl])).toBe(c.driver.small);

      // Stored whole, and only in the customer's home region.
      const sql = postgresClient(stack.regions[c.region].databaseUrl, { max: 1 });
      try {
        const [row] = await sql`select sha256, size_bytes, storage_key, parts_count from object_metadata where customer_id = ${c.customer} and object_key = 'big/blob.bin'`;
        expect(row).toMatchObject({ size_bytes: String(BIG) });
        // A single PUT records the bytes' SHA-256; a multipart upload the composite of its parts' (-N), checked against the local file's parts.
        const sizes = row!.parts_count ? (await sql`select size_bytes from object_parts where manifest_key = ${row!.storage_key} order by part_number`).map((p) => Number(p.size_bytes)) : undefined;
        expect(row!.sha256).toBe(sizes ? await compositeSha256OfFile(bigPath, sizes) : bigSha);
      } finally {
        await sql.end();
      }
      for (const region of Object.keys(COUNTRY) as RegionId[]) {
        expect((await tenantDirs(region)).includes(`tenant-${c.customer}`), `${c.customer} in ${region}`).toBe(region === c.region);
      }
      const blob = join(ctx.workDir, "download.bin");
      expect(await sha256File(blob)).toBe(bigSha);
      await rm(blob);

      await c.driver.cleanup(ctx);
      const left = await fetch(`${stack.regions[c.region].url}/api/customers/${c.customer}/info`, { headers: adminAuth });
      expect(((await left.json()) as { usage: { buckets: number; objects: number } }).usage).toMatchObject({ buckets: 0, objects: 0 });
    }, 600_000);
  }
});
