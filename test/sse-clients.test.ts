import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { CLIENT_BINARIES, runClient, type Credentials } from "./support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

// SSE through the global endpoint with unmodified clients: aws cli's --sse, --sse-kms-key-id
// and --sse-c, and boto3's SSE-C and SSE-KMS; and the bytes on the region's disk stay sealed.
const HERE = resolve(import.meta.dirname);
const MARKER = `SSE-CLIENT-MARKER-${randomBytes(8).toString("hex")}|`;

/** The packaged binary when present, else the one on PATH (e.g. a pyenv shim on a dev machine). */
function binary(packaged: string, name: string, probe?: string[]): string | undefined {
  const candidates = [packaged, ...(spawnSync("which", ["-a", name], { encoding: "utf8" }).stdout ?? "").split("\n").filter(Boolean)];
  return candidates.find((c) => existsSync(c) && (!probe || spawnSync(c, probe, { stdio: "ignore" }).status === 0));
}
const AWS = binary(CLIENT_BINARIES["aws cli"], "aws", ["--version"]);
const PYTHON = binary(CLIENT_BINARIES.boto3, "python3", ["-c", "import boto3"]);

let stack: TestStack;
let workDir: string;
const creds = new Map<string, Credentials>();
const kmsKeys = new Map<string, { key_id: string; arn: string }>();

async function setUp(customer: string, region: "FI-HEL" | "DE-FRA", country: string) {
  await onboard(stack, customer, region, { customer_name: customer, country, data_residency_requirement: "strict" });
  const url = stack.regions[region].url;
  const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(body) });
  const key = await post(`/api/customers/${customer}/access-keys`, { description: "sse clients" });
  expect(key.status).toBe(201);
  const k = (await key.json()) as { access_key_id: string; secret_access_key: string };
  creds.set(customer, { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key });
  const kms = await post(`/api/customers/${customer}/keys`, { description: "sse clients" });
  expect(kms.status).toBe(201);
  kmsKeys.set(customer, (await kms.json()) as { key_id: string; arn: string });
}

/** Files under the region's storage that hold the marker in clear. */
async function plaintextOnDisk(dir: string): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    if ((await readFile(path)).includes(MARKER)) hits.push(path);
  }
  return hits;
}

beforeAll(async () => {
  stack = await startStack();
  workDir = await mkdtemp(join(tmpdir(), "s3gw-sse-clients-"));
  await setUp("sse-cli-co", "FI-HEL", "FI");
  await setUp("sse-boto-co", "DE-FRA", "DE");
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe("SSE with aws cli through the global endpoint", () => {
  it.skipIf(!AWS)("--sse AES256, --sse aws:kms --sse-kms-key-id, --sse-c AES256 --sse-c-key fileb:// (upload, download; without or with another key fails)", async () => {
    const c = creds.get("sse-cli-co")!;
    const kms = kmsKeys.get("sse-cli-co")!;
    const config = join(workDir, "aws-config");
    // A small multipart threshold, so the SSE-C upload is a multipart one: every part carries the key.
    await writeFile(config, "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n");
    const env = { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "", AWS_MAX_ATTEMPTS: "1" };
    const aws = (...args: string[]) => runClient(AWS!, ["--endpoint-url", stack.global.url, "--output", "json", ...args], env, workDir);
    const head = async (key: string, ...extra: string[]) => JSON.parse(await aws("s3api", "head-object", "--bucket", "sse-cli", "--key", key, ...extra)) as Record<string, unknown>;
    await aws("s3api", "create-bucket", "--bucket", "sse-cli");
    const small = Buffer.from(MARKER.repeat(2000));
    const big = Buffer.concat([Buffer.from(MARKER.repeat(250_000)), randomBytes(1000)]); // ~8.7 MB: a multipart upload at the 5 MB threshold
    await writeFile(join(workDir, "small.txt"), small);
    await writeFile(join(workDir, "big.bin"), big);
    const key = randomBytes(32);
    await writeFile(join(workDir, "sse-c.key"), key);
    await writeFile(join(workDir, "other.key"), randomBytes(32));

    await aws("s3", "cp", "small.txt", "s3://sse-cli/s3.txt", "--sse", "AES256");
    expect((await head("s3.txt")).ServerSideEncryption).toBe("AES256");
    await aws("s3", "cp", "small.txt", "s3://sse-cli/kms.txt", "--sse", "aws:kms", "--sse-kms-key-id", kms.key_id);
    expect(await head("kms.txt")).toMatchObject({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: kms.arn });
    await aws("s3", "cp", "small.txt", "s3://sse-cli/ssec.txt", "--sse-c", "AES256", "--sse-c-key", "fileb://sse-c.key");
    await aws("s3", "cp", "big.bin", "s3://sse-cli/ssec-big.bin", "--sse-c", "AES256", "--sse-c-key", "fileb://sse-c.key");
    expect(await head("ssec.txt", "--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://sse-c.key")).toMatchObject({ SSECustomerAlgorithm: "AES256", ContentLength: small.length });
    expect(await head("ssec-big.bin", "--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://sse-c.key")).toMatchObject({ ETag: expect.stringMatching(/-[2-9]"$/), ContentLength: big.length });

    for (const k of ["s3.txt", "kms.txt"]) {
      await aws("s3", "cp", `s3://sse-cli/${k}`, `down-${k}`);
      expect((await readFile(join(workDir, `down-${k}`))).equals(small), k).toBe(true);
    }
    await aws("s3", "cp", "s3://sse-cli/ssec.txt", "down-ssec.txt", "--sse-c", "AES256", "--sse-c-key", "fileb://sse-c.key");
    expect((await readFile(join(workDir, "down-ssec.txt"))).equals(small)).toBe(true);
    await aws("s3", "cp", "s3://sse-cli/ssec-big.bin", "down-big.bin", "--sse-c", "AES256", "--sse-c-key", "fileb://sse-c.key");
    expect((await readFile(join(workDir, "down-big.bin"))).equals(big)).toBe(true);

    // Without the key, or with another, the download fails and writes nothing of the object.
    await expect(aws("s3", "cp", "s3://sse-cli/ssec.txt", "nokey.txt")).rejects.toThrow(/400|Bad Request|InvalidRequest/);
    await expect(aws("s3", "cp", "s3://sse-cli/ssec.txt", "wrong.txt", "--sse-c", "AES256", "--sse-c-key", "fileb://other.key")).rejects.toThrow(/403|Forbidden|AccessDenied/);
    await expect(aws("s3api", "get-object", "--bucket", "sse-cli", "--key", "ssec-big.bin", "nokey.bin")).rejects.toThrow(/InvalidRequest/);
    for (const f of ["nokey.txt", "wrong.txt", "nokey.bin"]) expect(existsSync(join(workDir, f)) ? (await readFile(join(workDir, f))).includes(MARKER) : false, f).toBe(false);
    // A KMS key id that is not the customer's is refused by the cli's upload.
    await expect(aws("s3", "cp", "small.txt", "s3://sse-cli/foreign.txt", "--sse", "aws:kms", "--sse-kms-key-id", kmsKeys.get("sse-boto-co")!.key_id)).rejects.toThrow(/KMS.NotFoundException/);

    expect(await plaintextOnDisk(stack.regions["FI-HEL"].storageDir)).toEqual([]);
  }, 120_000);
});

describe("SSE with boto3 through the global endpoint", () => {
  it.skipIf(!PYTHON)("SSE-C and SSE-KMS put/get/head, with AWS's refusals for a missing or wrong key", async () => {
    const c = creds.get("sse-boto-co")!;
    const kms = kmsKeys.get("sse-boto-co")!;
    const out = await runClient(PYTHON!, [join(HERE, "clients", "boto3_sse.py"), stack.global.url, c.accessKeyId, c.secretAccessKey, "sse-boto", kms.key_id]);
    expect(JSON.parse(out)).toEqual({
      ssec_put: { algorithm: "AES256", has_md5: true, sse: null },
      ssec_get: { body: "sse-c by boto3", algorithm: "AES256", md5_matches: true },
      ssec_head: { length: 14, algorithm: "AES256" },
      ssec_get_no_key: "400 InvalidRequest",
      ssec_get_wrong_key: "403 AccessDenied",
      ssec_head_no_key: "400 400",
      ssec_head_wrong_key: "403 403",
      kms_put: { sse: "aws:kms", key: kms.arn },
      kms_get: { body: "sse-kms by boto3", sse: "aws:kms", key: kms.arn },
      kms_head: { sse: "aws:kms", key: kms.arn },
      kms_unknown_key: "400 KMS.NotFoundException",
      kms_get_with_ssec: "400 InvalidRequest",
    });
    // The objects live sealed in the customer's home region only.
    expect(await plaintextOnDisk(stack.regions["DE-FRA"].storageDir)).toEqual([]);
  }, 120_000);
});
