import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { CopyObjectCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { CLIENT_BINARIES, runClient, type Credentials } from "../support/s3-clients.ts";

export interface ScenarioContext {
  endpoint: string; creds: Credentials; bucket: string; bigPath: string; workDir: string;
  /** A presigned GET URL issued by the gateway's own API (POST /api/presign). */
  presign: (bucket: string, key: string) => Promise<string>;
}
export interface ScenarioResult { prefixes: string[]; docsKeys: string[]; bigSize: number; rangeHex: string; copy: string; presignedUrl: string; downloadSha256: string }
export interface Driver { name: string; small: string; scenario(ctx: ScenarioContext): Promise<ScenarioResult>; cleanup(ctx: ScenarioContext): Promise<void> }

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), h);
  return h.digest("hex");
}

const HERE = resolve(import.meta.dirname);
const json = <T>(s: string): T => JSON.parse(s) as T;

export const awsCli: Driver = {
  name: "aws cli",
  small: "hello from aws cli",
  async scenario(ctx) {
    const config = join(ctx.workDir, "aws-config");
    await writeFile(config, "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
    const env = { AWS_ACCESS_KEY_ID: ctx.creds.accessKeyId, AWS_SECRET_ACCESS_KEY: ctx.creds.secretAccessKey, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "" };
    const aws = (...args: string[]) => runClient(CLIENT_BINARIES["aws cli"], ["--endpoint-url", ctx.endpoint, "--output", "json", ...args], env, ctx.workDir);
    const b = ctx.bucket;
    await aws("s3api", "create-bucket", "--bucket", b);
    await writeFile(join(ctx.workDir, "small.txt"), this.small);
    await aws("s3api", "put-object", "--bucket", b, "--key", "docs/small.txt", "--body", "small.txt", "--content-type", "text/plain");
    await aws("s3", "cp", ctx.bigPath, `s3://${b}/big/blob.bin`);
    const top = json<{ CommonPrefixes?: { Prefix: string }[] }>(await aws("s3api", "list-objects-v2", "--bucket", b, "--delimiter", "/"));
    const docs = json<{ Contents?: { Key: string }[] }>(await aws("s3api", "list-objects-v2", "--bucket", b, "--prefix", "docs/", "--delimiter", "/"));
    const head = json<{ ContentLength: number }>(await aws("s3api", "head-object", "--bucket", b, "--key", "big/blob.bin"));
    await aws("s3api", "get-object", "--bucket", b, "--key", "big/blob.bin", "--range", "bytes=0-9", "range.bin");
    await aws("s3api", "copy-object", "--bucket", b, "--key", "docs/copy.txt", "--copy-source", `${b}/docs/small.txt`);
    await aws("s3api", "get-object", "--bucket", b, "--key", "docs/copy.txt", "copy.txt");
    const presignedUrl = (await aws("s3", "presign", `s3://${b}/docs/small.txt`, "--expires-in", "300")).trim();
    await aws("s3", "cp", `s3://${b}/big/blob.bin`, "download.bin");
    return {
      prefixes: (top.CommonPrefixes ?? []).map((p) => p.Prefix).sort(),
      docsKeys: (docs.Contents ?? []).map((o) => o.Key).sort(),
      bigSize: head.ContentLength,
      rangeHex: (await readFile(join(ctx.workDir, "range.bin"))).toString("hex"),
      copy: await readFile(join(ctx.workDir, "copy.txt"), "utf8"),
      presignedUrl,
      downloadSha256: await sha256File(join(ctx.workDir, "download.bin")),
    };
  },
  async cleanup(ctx) {
    const env = { AWS_ACCESS_KEY_ID: ctx.creds.accessKeyId, AWS_SECRET_ACCESS_KEY: ctx.creds.secretAccessKey, AWS_CONFIG_FILE: join(ctx.workDir, "aws-config"), AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
    const aws = (...args: string[]) => runClient(CLIENT_BINARIES["aws cli"], ["--endpoint-url", ctx.endpoint, ...args], env, ctx.workDir);
    await aws("s3", "rm", `s3://${ctx.bucket}`, "--recursive");
    await aws("s3api", "delete-bucket", "--bucket", ctx.bucket);
  },
};

export const boto3: Driver = {
  name: "boto3",
  small: "hello from boto3",
  async scenario(ctx) {
    const out = await runClient(CLIENT_BINARIES.boto3, [join(HERE, "boto3_scenario.py"), ctx.endpoint, ctx.creds.accessKeyId, ctx.creds.secretAccessKey, ctx.bucket, ctx.bigPath, join(ctx.workDir, "download.bin")]);
    const r = json<{ prefixes: string[]; docs_keys: string[]; big_size: number; range: string; copy: string; presigned_url: string; download_sha256: string }>(out);
    return { prefixes: r.prefixes, docsKeys: r.docs_keys, bigSize: r.big_size, rangeHex: r.range, copy: r.copy, presignedUrl: r.presigned_url, downloadSha256: r.download_sha256 };
  },
  async cleanup(ctx) {
    await runClient(CLIENT_BINARIES.boto3, [join(HERE, "boto3_cleanup.py"), ctx.endpoint, ctx.creds.accessKeyId, ctx.creds.secretAccessKey, ctx.bucket]);
  },
};

export const sdk: Driver = {
  name: "@aws-sdk/client-s3",
  small: "hello from the JS SDK",
  async scenario(ctx) {
    const s3 = new S3Client({ endpoint: ctx.endpoint, region: "us-east-1", forcePathStyle: true, credentials: ctx.creds });
    const Bucket = ctx.bucket;
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: "docs/small.txt", Body: this.small, ContentType: "text/plain" }));
    await new Upload({ client: s3, params: { Bucket, Key: "big/blob.bin", Body: createReadStream(ctx.bigPath) }, partSize: 8 * 1024 * 1024, queueSize: 2 }).done();
    const top = await s3.send(new ListObjectsV2Command({ Bucket, Delimiter: "/" }));
    const docs = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: "docs/", Delimiter: "/" }));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "big/blob.bin" }));
    const range = await s3.send(new GetObjectCommand({ Bucket, Key: "big/blob.bin", Range: "bytes=0-9" }));
    await s3.send(new CopyObjectCommand({ Bucket, Key: "docs/copy.txt", CopySource: `${Bucket}/docs/small.txt` }));
    const copy = await s3.send(new GetObjectCommand({ Bucket, Key: "docs/copy.txt" }));
    const presignedUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: "docs/small.txt" }), { expiresIn: 300 });
    const big = await s3.send(new GetObjectCommand({ Bucket, Key: "big/blob.bin" }));
    await pipeline(big.Body as Readable, createWriteStream(join(ctx.workDir, "download.bin")));
    s3.destroy();
    return {
      prefixes: (top.CommonPrefixes ?? []).map((p) => p.Prefix!).sort(),
      docsKeys: (docs.Contents ?? []).map((o) => o.Key!).sort(),
      bigSize: head.ContentLength!,
      rangeHex: Buffer.from(await range.Body!.transformToByteArray()).toString("hex"),
      copy: await copy.Body!.transformToString(),
      presignedUrl,
      downloadSha256: await sha256File(join(ctx.workDir, "download.bin")),
    };
  },
  async cleanup(ctx) {
    const s3 = new S3Client({ endpoint: ctx.endpoint, region: "us-east-1", forcePathStyle: true, credentials: ctx.creds });
    for (const Key of ["docs/small.txt", "docs/copy.txt", "big/blob.bin"]) await s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key }));
    await s3.send(new DeleteBucketCommand({ Bucket: ctx.bucket }));
    s3.destroy();
  },
};
