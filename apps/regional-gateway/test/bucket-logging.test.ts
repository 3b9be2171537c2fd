import {
  GetBucketLoggingCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketLoggingCommand, PutObjectCommand, S3Client, S3ServiceException,
} from "@aws-sdk/client-s3";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverAccessLogs, SETTLE_MS } from "../src/services/objects/access-log-delivery.ts";
import { adminAuth, register, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// Server access logging: PUT/GET ?logging as AWS, and delivery of the operations log's S3
// records into the target bucket in the server access log format, read back with real clients.
let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let globex: ReturnType<typeof s3>;
let sdk: S3Client;
let creds: { accessKeyId: string; secretAccessKey: string };

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const enabled = (target: string, prefix = "", extra = "") => `<BucketLoggingStatus ${NS}><LoggingEnabled><TargetBucket>${target}</TargetBucket><TargetPrefix>${prefix}</TargetPrefix>${extra}</LoggingEnabled></BucketLoggingStatus>`;
async function putLogging(client: ReturnType<typeof s3>, bucket: string, body: string) {
  const res = await client(`/${bucket}?logging`, { method: "PUT", body });
  const text = await res.text();
  return { status: res.status, code: xmlValue(text, "Code"), message: xmlValue(text, "Message") };
}
/** Runs the worker as the lease holder would, past the settle delay of the records just made. */
const deliver = () => deliverAccessLogs(fi.deps, new Date(Date.now() + SETTLE_MS + 1000));
const logKeys = async (prefix: string) => ((await sdk.send(new ListObjectsV2Command({ Bucket: "logs", Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
const readLog = async (key: string) => (await (await sdk.send(new GetObjectCommand({ Bucket: "logs", Key: key }))).Body!.transformToString()).split("\n").filter(Boolean);

/** One record of the S3 server access log format, split as AWS documents it (bracketed time, quoted request, referrer and agent). */
const RECORD = /^(\S+) (\S+) \[([^\]]+)\] (\S+) (\S+) (\S+) (\S+) (\S+) "([^"]*)" (\d{3}) (\S+) (\S+) (\S+) (\S+) (\S+) "([^"]*)" "([^"]*)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/;
function parse(line: string) {
  const m = RECORD.exec(line);
  if (!m) throw new Error(`not an access log record: ${line}`);
  return { owner: m[1], bucket: m[2], time: m[3], requester: m[5], requestId: m[6], operation: m[7], key: m[8], request: m[9], status: Number(m[10]), error: m[11], bytesSent: m[12], objectSize: m[13], totalTime: m[14], versionId: m[18] };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["src", "logs", "other-src", "chained", "plain"]);
  expect((await register(fi.url, "globex")).status).toBe(201);
  globex = s3(fi.url, "globex");
  for (const b of ["src", "theirs"]) expect((await globex(`/${b}`, { method: "PUT" })).status).toBe(200);
  const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  creds = { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
  sdk = new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: creds });
});
afterAll(async () => {
  sdk?.destroy();
  await sql?.end();
  await fi?.destroy();
});

describe("PUT/GET ?logging", () => {
  it("round-trips a configuration through the AWS SDK, simple and partitioned keys; an empty status turns it off", async () => {
    expect((await sdk.send(new GetBucketLoggingCommand({ Bucket: "plain" }))).LoggingEnabled).toBeUndefined();
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "plain", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "logs", TargetPrefix: "p/", TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: "DeliveryTime" } } } } }));
    expect((await sdk.send(new GetBucketLoggingCommand({ Bucket: "plain" }))).LoggingEnabled).toEqual({ TargetBucket: "logs", TargetPrefix: "p/", TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: "DeliveryTime" } } });
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "plain", BucketLoggingStatus: {} }));
    expect((await sdk.send(new GetBucketLoggingCommand({ Bucket: "plain" }))).LoggingEnabled).toBeUndefined();
    expect(await sql`select 1 from bucket_log_deliveries d join buckets b using (bucket_id) where b.bucket_name = 'plain'`).toHaveLength(0);
  });

  it("refuses what AWS refuses: a missing source, a target that is missing or another customer's (alike), itself, chains, grants, bad XML", async () => {
    const missingSource = await sdk.send(new PutBucketLoggingCommand({ Bucket: "no-such-src", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "logs", TargetPrefix: "" } } })).catch((e: S3ServiceException) => e);
    expect([(missingSource as S3ServiceException).name, (missingSource as S3ServiceException).$metadata.httpStatusCode]).toEqual(["NoSuchBucket", 404]);
    const missing = await putLogging(acme, "src", enabled("no-such-logs"));
    const foreign = await putLogging(acme, "src", enabled("theirs"));
    expect(missing).toEqual({ status: 400, code: "InvalidTargetBucketForLogging", message: "The target bucket for logging does not exist or is not owned by you" });
    // Another customer's bucket reads exactly as a missing one: its existence is not disclosed.
    expect(foreign).toEqual(missing);
    expect(await putLogging(acme, "src", enabled("src"))).toMatchObject({ status: 400, code: "InvalidArgument" });
    // chained → logs is fine; then src → chained is a chain, and logs (a target) may not deliver itself.
    expect((await putLogging(acme, "chained", enabled("logs", "c/"))).status).toBe(200);
    expect(await putLogging(acme, "src", enabled("chained"))).toMatchObject({ status: 400, code: "InvalidArgument" });
    expect(await putLogging(acme, "logs", enabled("other-src"))).toMatchObject({ status: 400, code: "InvalidArgument" });
    expect((await putLogging(acme, "chained", `<BucketLoggingStatus ${NS}/>`)).status).toBe(200);
    const grants = `<TargetGrants><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>globex</ID></Grantee><Permission>READ</Permission></Grant></TargetGrants>`;
    expect(await putLogging(acme, "src", enabled("logs", "", grants))).toMatchObject({ status: 403, code: "AccessDenied" });
    for (const bad of [
      enabled("logs", "", "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>kaboom</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>"),
      enabled("logs", "", "<TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat>"),
      enabled("logs", "", "<Surprise>1</Surprise>"),
      `<BucketLoggingStatus ${NS}><LoggingEnabled><TargetPrefix>x</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`,
      "<NotLogging/>",
      "<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</Target",
    ]) expect((await putLogging(acme, "src", bad)).code, bad).toBe("MalformedXML");
    expect(await putLogging(acme, "src", enabled("logs", `a${"\u0001"}b`))).toMatchObject({ status: 400, code: "InvalidArgument" });
    expect(await putLogging(acme, "src", enabled("logs", "x".repeat(513)))).toMatchObject({ status: 400, code: "InvalidArgument" });
    // Nothing was configured by the refusals.
    expect((await sdk.send(new GetBucketLoggingCommand({ Bucket: "src" }))).LoggingEnabled).toBeUndefined();
  });
});

describe("log delivery", () => {
  it("writes the bucket's S3 requests, and only its owner's, as a log object of the target in the access log format", async () => {
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "src", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "logs", TargetPrefix: "access/" } } }));
    await sdk.send(new PutObjectCommand({ Bucket: "src", Key: "dir/my file.txt", Body: "hello" }));
    await (await sdk.send(new GetObjectCommand({ Bucket: "src", Key: "dir/my file.txt" }))).Body!.transformToString();
    await sdk.send(new HeadObjectCommand({ Bucket: "src", Key: "missing" })).catch(() => undefined);
    await sdk.send(new ListObjectsV2Command({ Bucket: "src" }));
    // globex's same-named bucket and a JSON API call naming the bucket are not acme's S3 requests on it.
    expect((await globex("/src/globex.txt", { method: "PUT", body: "theirs" })).status).toBe(200);
    expect((await fetch(`${fi.url}/api/holds`, { method: "PUT", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ customer_id: "acme-corp", bucket: "src", key: "dir/my file.txt", reason: "x" }) })).status).toBe(200);

    const report = await deliver();
    expect(report).toMatchObject({ delivered: 1, records: 5, failed: 0 });
    const keys = await logKeys("access/");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^access\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$/);
    const records = (await readLog(keys[0]!)).map(parse);
    // Logged from the PutBucketLogging that turned it on.
    expect(records.map((r) => [r.operation, r.key, r.status, r.error])).toEqual([
      ["REST.PUT.LOGGING_STATUS", "-", 200, "-"],
      ["REST.PUT.OBJECT", "dir/my%20file.txt", 200, "-"],
      ["REST.GET.OBJECT", "dir/my%20file.txt", 200, "-"],
      ["REST.HEAD.OBJECT", "missing", 404, "NoSuchKey"],
      ["REST.GET.BUCKET", "-", 200, "-"],
    ]);
    for (const r of records) {
      expect(r).toMatchObject({ owner: "acme-corp", bucket: "src", requester: `access-key:${creds.accessKeyId}` });
      expect(r.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    }
    expect(records[0]!.request).toBe("PUT /src?logging HTTP/1.1");
    expect(records[1]!.request).toBe("PUT /src/dir/my%20file.txt HTTP/1.1");
    expect([records[1]!.objectSize, records[2]!.bytesSent]).toEqual(["5", "5"]);
    // Each record names a request of the operations log, acme's on src.
    const logged = await sql`select customer_id, bucket_name from operations_log where request_id in ${sql(records.map((r) => r.requestId!))}`;
    expect(logged).toHaveLength(5);
    expect(logged.every((r) => r.customer_id === "acme-corp" && r.bucket_name === "src")).toBe(true);
    // The delivery is audited as a write of the target, by the worker.
    const [audit] = await sql`select bucket_name, object_key, principal, compliance_info from operations_log where operation_type = 'DeliverAccessLog'`;
    expect(audit).toMatchObject({ bucket_name: "logs", object_key: keys[0], principal: "access-log-delivery", compliance_info: { source_bucket: "src", records: 5 } });
  });

  it("is idempotent: a repeated run adds nothing, and a run resumed after a crash rewrites the same object without duplicates", async () => {
    expect(await deliver()).toMatchObject({ delivered: 0, records: 0 });
    await sdk.send(new PutObjectCommand({ Bucket: "src", Key: "second.txt", Body: "2" }));
    const [before] = await sql`select delivered_through from bucket_log_deliveries d join buckets b using (bucket_id) where b.customer_id = 'acme-corp' and b.bucket_name = 'src'`;
    expect(await deliver()).toMatchObject({ delivered: 1, records: 1 });
    const keys = await logKeys("access/");
    expect(keys).toHaveLength(2);
    // The crash: the object was written, the cursor had not moved on (the state a crash leaves behind).
    const [after] = await sql`select delivered_through from bucket_log_deliveries d join buckets b using (bucket_id) where b.customer_id = 'acme-corp' and b.bucket_name = 'src'`;
    await sql`update bucket_log_deliveries set delivered_through = ${before!.delivered_through}, pending_through = ${after!.delivered_through}
      where bucket_id = (select bucket_id from buckets where customer_id = 'acme-corp' and bucket_name = 'src')`;
    // Meanwhile more requests came: the resumed batch is still the fixed one, then the new one follows.
    await sdk.send(new PutObjectCommand({ Bucket: "src", Key: "third.txt", Body: "3" }));
    expect(await deliver()).toMatchObject({ delivered: 2, records: 2 });
    const now = await logKeys("access/");
    expect(now).toHaveLength(3);
    expect(now).toEqual(expect.arrayContaining(keys));
    const all = (await Promise.all(now.map(readLog))).flat().map(parse);
    const ids = all.map((r) => r.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.filter((r) => r.operation === "REST.PUT.OBJECT").map((r) => r.key)).toEqual(expect.arrayContaining(["second.txt", "third.txt"]));
  });

  it("a configuration without its cursor (a bucket moved in) is logged from then on, not from the start of the log", async () => {
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "plain", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "logs", TargetPrefix: "moved/" } } }));
    await sql`delete from bucket_log_deliveries where bucket_id = (select bucket_id from buckets where customer_id = 'acme-corp' and bucket_name = 'plain')`;
    await sdk.send(new PutObjectCommand({ Bucket: "plain", Key: "before.txt", Body: "b" }));
    expect(await deliver()).toMatchObject({ delivered: 0, failed: 0 });
    await sdk.send(new PutObjectCommand({ Bucket: "plain", Key: "after.txt", Body: "a" }));
    expect(await deliver()).toMatchObject({ delivered: 1, records: 1 });
    const [key] = await logKeys("moved/");
    expect((await readLog(key!)).map(parse).map((r) => r.key)).toEqual(["after.txt"]);
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "plain", BucketLoggingStatus: {} }));
  });

  it("a hostile key (quotes, newlines, spaces) stays one record of one line, its fields percent-encoded", async () => {
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "chained", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "logs", TargetPrefix: "evil/" } } }));
    const evil = 'a" 200 - fake\nlogging-co src [01/Jan/2020:00:00:00 +0000] x';
    await sdk.send(new PutObjectCommand({ Bucket: "chained", Key: evil, Body: "x" }));
    expect(await deliver()).toMatchObject({ delivered: 1, records: 2 });
    const [key] = await logKeys("evil/");
    const lines = await readLog(key!);
    expect(lines).toHaveLength(2);
    const put = parse(lines[1]!);
    expect([put.operation, decodeURIComponent(put.key!), put.status]).toEqual(["REST.PUT.OBJECT", evil, 200]);
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "chained", BucketLoggingStatus: {} }));
  });

  it("turned off, nothing more is delivered; boto3 reads the configuration and parses a log object", async () => {
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "src", BucketLoggingStatus: {} }));
    await sdk.send(new PutObjectCommand({ Bucket: "src", Key: "unlogged.txt", Body: "u" }));
    expect(await deliver()).toMatchObject({ delivered: 0 });
    if (spawnSync("python3", ["-c", "import boto3"]).status !== 0) return;
    await sdk.send(new PutBucketLoggingCommand({ Bucket: "other-src", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "logs", TargetPrefix: "boto/" } } }));
    await sdk.send(new PutObjectCommand({ Bucket: "other-src", Key: "k", Body: "v" }));
    expect(await deliver()).toMatchObject({ delivered: 1, records: 2 });
    const script = [
      "import boto3, json, re, sys",
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name='us-east-1')",
      "conf = s3.get_bucket_logging(Bucket='other-src')['LoggingEnabled']",
      "key = s3.list_objects_v2(Bucket='logs', Prefix='boto/')['Contents'][0]['Key']",
      "line = s3.get_object(Bucket='logs', Key=key)['Body'].read().decode().splitlines()[1]",
      "m = re.match(r'^(\\S+) (\\S+) \\[([^\\]]+)\\] (\\S+) (\\S+) (\\S+) (\\S+) (\\S+) \"([^\"]*)\" (\\d{3}) ', line)",
      "print(json.dumps([conf['TargetBucket'], conf['TargetPrefix'], m.group(1), m.group(2), m.group(7), m.group(8), m.group(9), int(m.group(10))]))",
    ].join("\n");
    const { stdout } = await promisify(execFile)("python3", ["-c", script, fi.url, creds.accessKeyId, creds.secretAccessKey], { encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual(["logs", "boto/", "acme-corp", "other-src", "REST.PUT.OBJECT", "k", "PUT /other-src/k HTTP/1.1", 200]);
  });
});
