import { existsSync } from "node:fs";
import { join } from "node:path";
import { DeleteBucketLifecycleCommand, GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLifecycle, startLifecycleWorker, type LifecycleReport } from "../src/services/objects/lifecycle-worker.ts";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { md5B64, xmlBlocks, xmlValue, xmlValues } from "./s3-write-helpers.ts";

const DAY = 86_400_000;
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const lifecycle = (...rules: string[]) => `<LifecycleConfiguration ${NS}>${rules.join("")}</LifecycleConfiguration>`;
const rule = (id: string, filter: string, actions: string, status = "Enabled") => `<Rule><ID>${id}</ID>${filter}<Status>${status}</Status>${actions}</Rule>`;
const expireAfter = (days: number | string) => `<Expiration><Days>${days}</Days></Expiration>`;
const abortAfter = (days: number) => `<AbortIncompleteMultipartUpload><DaysAfterInitiation>${days}</DaysAfterInitiation></AbortIncompleteMultipartUpload>`;
const prefixFilter = (prefix: string) => `<Filter><Prefix>${prefix}</Prefix></Filter>`;
const tagXml = (k: string, v: string) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`;

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;

beforeAll(async () => {
  // The stale-upload sweeper must not race the lifecycle's own aborts.
  fi = await startTestRegion("FI-HEL", { sweepIntervalMs: 24 * 3_600_000 });
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["config", "logs", "media", "scratch", "vault", "staging", "timer"]);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

async function errorOf(res: Response): Promise<{ status: number; code: string | undefined; message: string | undefined }> {
  const body = await res.text();
  return { status: res.status, code: xmlValue(body, "Code"), message: xmlValue(body, "Message") };
}

async function putConfig(bucket: string, body: string): Promise<void> {
  const res = await acme(`/${bucket}?lifecycle`, { method: "PUT", body });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function putObject(bucket: string, key: string, opts: { ageDays?: number; tags?: string } = {}): Promise<void> {
  const res = await acme(`/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`, { method: "PUT", body: `bytes of ${key}`, headers: opts.tags ? { "x-amz-tagging": opts.tags } : {} });
  expect(res.status).toBe(200);
  if (opts.ageDays) {
    await sql`update object_metadata set last_modified = now() - make_interval(days => ${opts.ageDays})
      where bucket_name = ${bucket} and object_key = ${key}`;
  }
}

async function keysOf(bucket: string): Promise<string[]> {
  const rows = await sql`select object_key from object_metadata where bucket_name = ${bucket} and customer_id = 'acme-corp' order by object_key`;
  return rows.map((r) => r.object_key as string);
}

const keptIn = (report: LifecycleReport, bucket: string) => report.kept.filter((k) => k.bucket === bucket);

describe("PUT/GET/DELETE ?lifecycle", () => {
  it("round-trips a configuration, keeping prefixes exactly as sent, and replaces it on a second PUT", async () => {
    const none = await errorOf(await acme("/config?lifecycle"));
    expect(none).toMatchObject({ status: 404, code: "NoSuchLifecycleConfiguration" });

    await putConfig("config", lifecycle(
      rule("logs", prefixFilter("logs/"), expireAfter(30) + abortAfter(7)),
      rule("tmp-tag", `<Filter>${tagXml("class", "tmp")}</Filter>`, expireAfter(1)),
      rule("raw-done", `<Filter><And><Prefix>raw/</Prefix>${tagXml("class", "raw")}${tagXml("stage", "done")}</And></Filter>`, expireAfter(90), "Disabled"),
      rule("legacy", "<Prefix> spaced &amp; odd/ </Prefix>", abortAfter(2)),
      rule("everything", "<Filter></Filter>", expireAfter(3650)),
    ));
    const res = await acme("/config?lifecycle");
    expect(res.status).toBe(200);
    const rules = xmlBlocks(await res.text(), "Rule");
    expect(rules.map((r) => xmlValue(r, "ID"))).toEqual(["logs", "tmp-tag", "raw-done", "legacy", "everything"]);
    expect(rules.map((r) => xmlValue(r, "Status"))).toEqual(["Enabled", "Enabled", "Disabled", "Enabled", "Enabled"]);
    expect(rules[0]).toContain("<Filter><Prefix>logs/</Prefix></Filter>");
    expect(xmlValue(rules[0]!, "Days")).toBe("30");
    expect(xmlValue(rules[0]!, "DaysAfterInitiation")).toBe("7");
    expect(rules[1]).toContain("<Filter><Tag><Key>class</Key><Value>tmp</Value></Tag></Filter>");
    expect(xmlValue(rules[2]!, "Prefix")).toBe("raw/");
    expect(xmlValues(rules[2]!, "Key")).toEqual(["class", "stage"]);
    expect(rules[2]).toMatch(/<Filter><And>.*<\/And><\/Filter>/);
    // Not trimmed: " spaced & odd/ " is not "spaced & odd/".
    expect(xmlValue(rules[3]!, "Prefix")).toBe(" spaced & odd/ ");
    expect(rules[3]).not.toContain("<Expiration>");
    expect(rules[4]).toContain("<Filter></Filter>");

    const [stored] = await sql`select l.rules from bucket_lifecycle l join buckets b using (bucket_id) where b.bucket_name = 'config'`;
    expect(stored!.rules[3]).toEqual({ id: "legacy", enabled: true, prefix: " spaced & odd/ ", tags: {}, expirationDays: null, abortIncompleteMultipartUploadDays: 2, filterForm: "legacy" });

    await putConfig("config", lifecycle(rule("only", prefixFilter("a/"), expireAfter(5))));
    const replaced = await (await acme("/config?lifecycle")).text();
    expect(xmlValues(replaced, "ID")).toEqual(["only"]);

    // A rule without an ID gets one.
    await putConfig("config", lifecycle(`<Rule><Filter><Prefix>b/</Prefix></Filter><Status>Enabled</Status>${expireAfter(1)}</Rule>`));
    expect(xmlValue(await (await acme("/config?lifecycle")).text(), "ID")).toMatch(/^[0-9a-f-]{36}$/);

    expect((await acme("/config?lifecycle", { method: "DELETE" })).status).toBe(204);
    expect((await errorOf(await acme("/config?lifecycle"))).code).toBe("NoSuchLifecycleConfiguration");
    expect((await acme("/config?lifecycle", { method: "DELETE" })).status).toBe(204);

    const ops = await sql`select operation_type, status_code from operations_log where bucket_name = 'config' and operation_type like '%Lifecycle%' order by id`;
    expect(ops.map((o) => `${o.operation_type} ${o.status_code}`)).toEqual([
      "GetBucketLifecycleConfiguration 404",
      "PutBucketLifecycleConfiguration 200",
      "GetBucketLifecycleConfiguration 200",
      "PutBucketLifecycleConfiguration 200",
      "GetBucketLifecycleConfiguration 200",
      "PutBucketLifecycleConfiguration 200",
      "GetBucketLifecycleConfiguration 200",
      "DeleteBucketLifecycle 204",
      "GetBucketLifecycleConfiguration 404",
      "DeleteBucketLifecycle 204",
    ]);
  });

  it("refuses malformed, invalid and unsupported configurations, storing nothing", async () => {
    const ok = prefixFilter("p/");
    const many = Array.from({ length: 1001 }, (_, i) => rule(`r${i}`, ok, expireAfter(1)));
    const cases: [string, string, number, string][] = [
      ["not xml", "<LifecycleConfiguration><Rule>", 400, "MalformedXML"],
      ["no rules", lifecycle(), 400, "MalformedXML"],
      ["wrong root", `<Lifecycle>${rule("a", ok, expireAfter(1))}</Lifecycle>`, 400, "MalformedXML"],
      ["bad status", lifecycle(rule("a", ok, expireAfter(1), "On")), 400, "MalformedXML"],
      ["days not a number", lifecycle(rule("a", ok, expireAfter("ten"))), 400, "MalformedXML"],
      ["days zero", lifecycle(rule("a", ok, expireAfter(0))), 400, "InvalidArgument"],
      ["no action", lifecycle(rule("a", ok, "")), 400, "InvalidRequest"],
      ["duplicate ids", lifecycle(rule("a", ok, expireAfter(1)), rule("a", prefixFilter("q/"), expireAfter(2))), 400, "InvalidArgument"],
      ["id too long", lifecycle(rule("x".repeat(256), ok, expireAfter(1))), 400, "InvalidArgument"],
      ["too many rules", lifecycle(...many), 400, "InvalidRequest"],
      ["no filter", lifecycle(rule("a", "", expireAfter(1))), 400, "MalformedXML"],
      ["filter and legacy prefix", lifecycle(rule("a", ok + "<Prefix>p/</Prefix>", expireAfter(1))), 400, "MalformedXML"],
      ["filter with prefix and tag", lifecycle(rule("a", `<Filter><Prefix>p/</Prefix>${tagXml("k", "v")}</Filter>`, expireAfter(1))), 400, "MalformedXML"],
      ["unknown element", lifecycle(rule("a", ok, expireAfter(1) + "<Colour>red</Colour>")), 400, "MalformedXML"],
      ["abort with a tag filter", lifecycle(rule("a", `<Filter>${tagXml("k", "v")}</Filter>`, abortAfter(1))), 400, "InvalidRequest"],
      ["duplicate tag keys", lifecycle(rule("a", `<Filter><And>${tagXml("k", "v")}${tagXml("k", "w")}</And></Filter>`, expireAfter(1))), 400, "InvalidRequest"],
      ["expiration date not at midnight", lifecycle(rule("a", ok, "<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>")), 400, "InvalidArgument"],
      ["transition", lifecycle(rule("a", ok, "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>")), 501, "NotImplemented"],
      ["size filter", lifecycle(rule("a", "<Filter><ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan></Filter>", expireAfter(1))), 501, "NotImplemented"],
    ];
    for (const [name, body, status, code] of cases) {
      const err = await errorOf(await acme("/config?lifecycle", { method: "PUT", body }));
      expect({ name, status: err.status, code: err.code }).toEqual({ name, status, code });
    }
    const expiryDate = await errorOf(await acme("/config?lifecycle", { method: "PUT", body: cases[16]![1] }));
    expect(expiryDate.message).toMatch(/must be at midnight GMT/);

    const badDigest = await acme("/config?lifecycle", { method: "PUT", body: lifecycle(rule("a", ok, expireAfter(1))), headers: { "content-md5": md5B64("other") } });
    expect((await errorOf(badDigest)).code).toBe("BadDigest");
    expect((await errorOf(await acme("/config?lifecycle"))).code).toBe("NoSuchLifecycleConfiguration");
    expect((await errorOf(await acme("/no-such-bucket?lifecycle"))).code).toBe("NoSuchBucket");
    // On an object it is refused, never served as a plain GET or PUT of the object.
    await putObject("config", "doc.txt");
    expect((await errorOf(await acme("/config/doc.txt?lifecycle"))).code).toBe("InvalidRequest");
    expect((await errorOf(await acme("/config/doc.txt?lifecycle", { method: "PUT", body: "x" }))).code).toBe("InvalidRequest");
    expect(await (await acme("/config/doc.txt")).text()).toBe("bytes of doc.txt");
  });

  it("works with the AWS SDK over SigV4, and a read-only key may read but not change it", async () => {
    const keyOf = async (permission: string) => {
      const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, {
        method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ permission }),
      });
      expect(res.status).toBe(201);
      const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
      return new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key } });
    };
    const rw = await keyOf("read-write");
    const ro = await keyOf("read-only");
    await rw.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: "config",
      LifecycleConfiguration: {
        Rules: [
          { ID: "sdk", Status: "Enabled", Filter: { And: { Prefix: "sdk/", Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] } }, Expiration: { Days: 9 } },
          { ID: "mpu", Status: "Disabled", Filter: { Prefix: "" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } },
        ],
      },
    }));
    const got = await ro.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "config" }));
    expect(got.Rules).toEqual([
      { ID: "sdk", Status: "Enabled", Filter: { And: { Prefix: "sdk/", Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] } }, Expiration: { Days: 9 } },
      { ID: "mpu", Status: "Disabled", Filter: { Prefix: "" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } },
    ]);
    await expect(ro.send(new DeleteBucketLifecycleCommand({ Bucket: "config" }))).rejects.toMatchObject({ name: "AccessDenied" });
    await rw.send(new DeleteBucketLifecycleCommand({ Bucket: "config" }));
    await expect(ro.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "config" }))).rejects.toMatchObject({ name: "NoSuchLifecycleConfiguration" });
    rw.destroy();
    ro.destroy();
  });
});

describe("the lifecycle worker", () => {
  it("expires old matching objects by prefix and by tags, keeps held and retained ones, and removes the bytes", async () => {
    await putConfig("logs", lifecycle(rule("logs-30d", prefixFilter("logs/"), expireAfter(30))));
    for (const key of ["logs/2023/a.log", "logs/2023/b.log", "logs/held.log", "logs/retained.log", "logs/retention-over.log", "logsx/old.log", "archive/old.log"]) {
      await putObject("logs", key, { ageDays: 40 });
    }
    await putObject("logs", "logs/fresh.log");
    await putObject("logs", "logs/29-days.log", { ageDays: 29 });
    // S3 object lock needs a lock-enabled (versioned) bucket; here the protections are set as the
    // compliance side sets them on an unversioned bucket.
    await sql`update object_metadata set legal_hold = true where object_key = 'logs/held.log'`;
    const until = new Date(Date.now() + 30 * DAY).toISOString();
    await sql`update object_metadata set retention_mode = 'COMPLIANCE', retention_until = ${until} where object_key = 'logs/retained.log'`;
    await sql`update object_metadata set retention_mode = 'GOVERNANCE', retention_until = now() - interval '1 day' where object_key = 'logs/retention-over.log'`;

    await putConfig("media", lifecycle(
      rule("tmp", `<Filter>${tagXml("class", "tmp")}</Filter>`, expireAfter(7)),
      rule("raw-done", `<Filter><And><Prefix>raw/</Prefix>${tagXml("class", "raw")}${tagXml("stage", "done")}</And></Filter>`, expireAfter(7)),
    ));
    await putObject("media", "t1", { ageDays: 10, tags: "class=tmp" });
    await putObject("media", "t2", { tags: "class=tmp" });
    await putObject("media", "t3", { ageDays: 10, tags: "class=keep" });
    await putObject("media", "t4", { ageDays: 10 });
    await putObject("media", "raw/r1", { ageDays: 10, tags: "class=raw&stage=done&camera=north" });
    await putObject("media", "raw/r2", { ageDays: 10, tags: "class=raw" });
    await putObject("media", "other/r3", { ageDays: 10, tags: "class=raw&stage=done" });

    // LIKE wildcards in a prefix are literal characters.
    await putConfig("scratch", lifecycle(rule("odd", prefixFilter("a_b%/"), expireAfter(1))));
    for (const key of ["a_b%/x", "aXb%/x", "a_bc/x", "a_bZZ/x"]) await putObject("scratch", key, { ageDays: 2 });

    await putConfig("vault", lifecycle(rule("off", "<Filter></Filter>", expireAfter(1), "Disabled")));
    await putObject("vault", "old", { ageDays: 100 });

    const doomed = ["logs/2023/a.log", "logs/2023/b.log", "logs/retention-over.log", "t1", "raw/r1", "a_b%/x"];
    const blobs = await sql`select object_key, storage_key from object_metadata where customer_id = 'acme-corp'`;
    const blobOf = (key: string) => join(fi.storageDir, blobs.find((b) => b.object_key === key)!.storage_key as string);
    for (const key of doomed) expect(existsSync(blobOf(key))).toBe(true);

    const report = await runLifecycle(fi.deps, new Date());
    expect(report.expired).toBe(doomed.length);
    expect(report.failedBuckets).toBe(0);
    expect(keptIn(report, "logs")).toEqual([
      { bucket: "logs", key: "logs/held.log", reason: "legal hold" },
      { bucket: "logs", key: "logs/retained.log", reason: `COMPLIANCE retention until ${until}` },
    ]);
    expect(await keysOf("logs")).toEqual(["archive/old.log", "logs/29-days.log", "logs/fresh.log", "logs/held.log", "logs/retained.log", "logsx/old.log"]);
    expect(await keysOf("media")).toEqual(["other/r3", "raw/r2", "t2", "t3", "t4"]);
    expect(await keysOf("scratch")).toEqual(["aXb%/x", "a_bZZ/x", "a_bc/x"]);
    expect(await keysOf("vault")).toEqual(["old"]);
    for (const key of doomed) expect(existsSync(blobOf(key))).toBe(false);
    expect(existsSync(blobOf("logs/held.log"))).toBe(true);
    expect((await acme("/logs/logs/2023/a.log")).status).toBe(404);
    expect(await (await acme("/logs/logs/held.log")).text()).toBe("bytes of logs/held.log");

    // Nothing more is due; the protected ones are reported again, still untouched.
    const again = await runLifecycle(fi.deps, new Date());
    expect(again.expired).toBe(0);
    expect(keptIn(again, "logs").map((k) => k.key)).toEqual(["logs/held.log", "logs/retained.log"]);

    // Thirty-one days on, the retention has run out and the 29-day-old log is due; the hold still protects.
    for (const bucket of ["media", "scratch", "vault"]) expect((await acme(`/${bucket}?lifecycle`, { method: "DELETE" })).status).toBe(204);
    const later = await runLifecycle(fi.deps, new Date(Date.now() + 31 * DAY));
    expect(keptIn(later, "logs").map((k) => k.key)).toEqual(["logs/held.log"]);
    expect(await keysOf("logs")).toEqual(["archive/old.log", "logs/held.log", "logsx/old.log"]);
    expect((await acme("/logs?lifecycle", { method: "DELETE" })).status).toBe(204);
  });

  it("aborts multipart uploads initiated too long ago under the rule's prefix, removing their parts", async () => {
    await putConfig("staging", lifecycle(rule("mpu-7d", prefixFilter("in/"), expireAfter(30) + abortAfter(7))));
    const create = async (key: string) => {
      const res = await acme(`/staging/${key}?uploads`, { method: "POST" });
      expect(res.status).toBe(200);
      return xmlValue(await res.text(), "UploadId")!;
    };
    const stale = await create("in/big.bin");
    expect((await acme(`/staging/in/big.bin?partNumber=1&uploadId=${stale}`, { method: "PUT", body: "part one" })).status).toBe(200);
    const fresh = await create("in/new.bin");
    const outside = await create("out/old.bin");
    await sql`update multipart_uploads set initiated_at = now() - interval '8 days' where upload_id in (${stale}, ${outside})`;
    const [part] = await sql`select storage_key from multipart_parts where upload_id = ${stale}`;
    expect(existsSync(join(fi.storageDir, part!.storage_key as string))).toBe(true);

    const report = await runLifecycle(fi.deps, new Date());
    expect(report.uploadsAborted).toBe(1);
    const left = await sql`select upload_id from multipart_uploads where bucket_name = 'staging' order by object_key`;
    expect(left.map((u) => u.upload_id)).toEqual([fresh, outside]);
    expect(existsSync(join(fi.storageDir, part!.storage_key as string))).toBe(false);
    expect((await errorOf(await acme(`/staging/in/big.bin?uploadId=${stale}`))).code).toBe("NoSuchUpload");
    expect((await acme("/staging?lifecycle", { method: "DELETE" })).status).toBe(204);
  });

  it("records every deletion and abort in the operations log, and the hash chain still verifies", async () => {
    const rows = await sql`select request_id, customer_id, operation_type, bucket_name, object_key, result, status_code, source_ip, compliance_info
      from operations_log where principal = 'lifecycle-worker' order by id`;
    const expirations = rows.filter((r) => r.operation_type === "LifecycleExpiration");
    expect(expirations.map((r) => `${r.bucket_name}/${r.object_key}`).sort()).toEqual([
      "logs/logs/2023/a.log", "logs/logs/2023/b.log", "logs/logs/29-days.log", "logs/logs/fresh.log", "logs/logs/retained.log", "logs/logs/retention-over.log",
      "media/raw/r1", "media/t1", "scratch/a_b%/x",
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({ customer_id: "acme-corp", result: "success", status_code: 204, source_ip: null });
      expect(r.request_id).toMatch(/^lifecycle-[0-9a-f-]{36}$/);
    }
    expect(expirations.find((r) => r.object_key === "t1")!.compliance_info).toMatchObject({ rule_id: "tmp", expiration_days: 7 });
    const aborts = rows.filter((r) => r.operation_type === "LifecycleAbortUpload");
    expect(aborts.map((r) => [r.bucket_name, r.object_key])).toEqual([["staging", "in/big.bin"]]);
    expect(aborts[0]!.compliance_info).toMatchObject({ rule_id: "mpu-7d", parts: 1 });
    expect(rows.some((r) => ["logs/held.log", "t2", "t3"].includes(r.object_key as string))).toBe(false);

    const verify = await fetch(`${fi.url}/api/audit/verify`, { headers: adminAuth });
    expect(verify.status).toBe(200);
    expect(await verify.json()).toMatchObject({ intact: true });
  });

  it("runs on its timer with the gateway's clock", async () => {
    await putConfig("timer", lifecycle(rule("soon", "<Filter></Filter>", expireAfter(3))));
    await putObject("timer", "a");
    const inFiveDays = { ...fi.deps, clock: { now: () => new Date(Date.now() + 5 * DAY) } };
    const stop = startLifecycleWorker(inFiveDays, 3_600_000);
    try {
      await expect.poll(() => keysOf("timer")).toEqual([]);
    } finally {
      stop();
    }
    const [row] = await sql`select compliance_info from operations_log where operation_type = 'LifecycleExpiration' and bucket_name = 'timer'`;
    expect(row!.compliance_info).toMatchObject({ rule_id: "soon" });
  });
});
