import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLIENT_BINARIES, runClient, runClientRaw, type EnvOverrides } from "../support/s3-clients.ts";
import { sha256File, type Driver, type ScenarioContext } from "./drivers.ts";

async function s3cmdConfig(ctx: ScenarioContext): Promise<string> {
  const host = new URL(ctx.endpoint).host;
  const path = join(ctx.workDir, "s3cmd.cfg");
  await writeFile(path, [
    "[default]", `access_key = ${ctx.creds.accessKeyId}`, `secret_key = ${ctx.creds.secretAccessKey}`,
    `host_base = ${host}`, `host_bucket = ${host}`, "use_https = False", "signature_v2 = False",
    "bucket_location = us-east-1", "multipart_chunk_size_mb = 15", "",
  ].join("\n"));
  return path;
}

export const s3cmd: Driver = {
  name: "s3cmd",
  small: "hello from s3cmd",
  async scenario(ctx) {
    const cfg = await s3cmdConfig(ctx);
    const s3 = (...args: string[]) => runClient(CLIENT_BINARIES.s3cmd, ["-c", cfg, ...args], {}, ctx.workDir);
    const b = `s3://${ctx.bucket}`;
    await s3("mb", b);
    await writeFile(join(ctx.workDir, "small.txt"), this.small);
    await s3("put", "--mime-type=text/plain", "small.txt", `${b}/docs/small.txt`);
    await s3("put", ctx.bigPath, `${b}/big/blob.bin`);
    const entries = (out: string) => out.split("\n").map((l) => l.trim().split(/\s+/).at(-1) ?? "").filter((u) => u.startsWith(b));
    const top = entries(await s3("ls", `${b}/`));
    const docs = entries(await s3("ls", `${b}/docs/`));
    const info = await s3("info", `${b}/big/blob.bin`);
    await s3("cp", `${b}/docs/small.txt`, `${b}/docs/copy.txt`);
    await s3("get", "--force", `${b}/docs/copy.txt`, "copy.txt");
    // s3cmd's `signurl` makes SigV2 URLs, which this gateway (SigV4 only) refuses: its
    // presigned GET comes from the gateway's own /api/presign, and s3cmd, which has no ranged
    // GET, reads the range through such a URL too.
    const presignedUrl = await ctx.presign(ctx.bucket, "docs/small.txt");
    const range = await runClientRaw("curl", ["-sf", "-H", "Range: bytes=0-9", await ctx.presign(ctx.bucket, "big/blob.bin")]);
    await s3("get", "--force", `${b}/big/blob.bin`, "download.bin");
    return {
      prefixes: top.filter((u) => u.endsWith("/")).map((u) => u.slice(b.length + 1)).sort(),
      docsKeys: docs.filter((u) => !u.endsWith("/")).map((u) => u.slice(b.length + 1)).sort(),
      bigSize: Number(/File size:\s+(\d+)/.exec(info)?.[1]),
      rangeHex: range.toString("hex"),
      copy: await readFile(join(ctx.workDir, "copy.txt"), "utf8"),
      presignedUrl,
      downloadSha256: await sha256File(join(ctx.workDir, "download.bin")),
    };
  },
  async cleanup(ctx) {
    const cfg = join(ctx.workDir, "s3cmd.cfg");
    await runClient(CLIENT_BINARIES.s3cmd, ["-c", cfg, "del", "--recursive", "--force", `s3://${ctx.bucket}`]);
    await runClient(CLIENT_BINARIES.s3cmd, ["-c", cfg, "rb", `s3://${ctx.bucket}`]);
  },
};

function rcloneEnv(ctx: ScenarioContext): EnvOverrides {
  return {
    AWS_CA_BUNDLE: null,
    RCLONE_CONFIG_GW_TYPE: "s3", RCLONE_CONFIG_GW_PROVIDER: "Other", RCLONE_CONFIG_GW_ENDPOINT: ctx.endpoint,
    RCLONE_CONFIG_GW_ACCESS_KEY_ID: ctx.creds.accessKeyId, RCLONE_CONFIG_GW_SECRET_ACCESS_KEY: ctx.creds.secretAccessKey,
    RCLONE_CONFIG_GW_REGION: "us-east-1", RCLONE_CONFIG_GW_FORCE_PATH_STYLE: "true",
  };
}

export const rclone: Driver = {
  name: "rclone",
  small: "hello from rclone",
  async scenario(ctx) {
    const env = rcloneEnv(ctx);
    const conf = join(ctx.workDir, "rclone.conf");
    await writeFile(conf, "");
    const rc = (...args: string[]) => runClient(CLIENT_BINARIES.rclone, ["--config", conf, ...args], env, ctx.workDir);
    const b = `gw:${ctx.bucket}`;
    await rc("mkdir", b);
    await writeFile(join(ctx.workDir, "small.txt"), this.small);
    await rc("copyto", "small.txt", `${b}/docs/small.txt`);
    await rc("copyto", "--s3-upload-cutoff", "10M", "--s3-chunk-size", "8M", ctx.bigPath, `${b}/big/blob.bin`);
    const top = JSON.parse(await rc("lsjson", b)) as { Path: string; IsDir: boolean }[];
    const docs = JSON.parse(await rc("lsjson", `${b}/docs`)) as { Path: string; IsDir: boolean }[];
    const stat = JSON.parse(await rc("lsjson", "--stat", `${b}/big/blob.bin`)) as { Size: number };
    const range = await runClientRaw(CLIENT_BINARIES.rclone, ["--config", conf, "cat", "--offset", "0", "--count", "10", `${b}/big/blob.bin`], env);
    await rc("copyto", `${b}/docs/small.txt`, `${b}/docs/copy.txt`);
    const copy = await rc("cat", `${b}/docs/copy.txt`);
    const presignedUrl = (await rc("link", "--expire", "5m", `${b}/docs/small.txt`)).trim();
    await rc("copyto", `${b}/big/blob.bin`, "download.bin");
    return {
      prefixes: top.filter((e) => e.IsDir).map((e) => `${e.Path}/`).sort(),
      docsKeys: docs.filter((e) => !e.IsDir).map((e) => `docs/${e.Path}`).sort(),
      bigSize: stat.Size,
      rangeHex: range.toString("hex"),
      copy,
      presignedUrl,
      downloadSha256: await sha256File(join(ctx.workDir, "download.bin")),
    };
  },
  async cleanup(ctx) {
    const conf = join(ctx.workDir, "rclone.conf");
    await runClient(CLIENT_BINARIES.rclone, ["--config", conf, "purge", `gw:${ctx.bucket}`], rcloneEnv(ctx));
  },
};
