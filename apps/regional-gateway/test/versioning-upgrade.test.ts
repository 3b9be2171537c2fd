import { createHash, randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type postgres from "postgres";
import { openDatabase, postgresClient } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3, startTestRegion, type TestRegion } from "./harness.ts";

// A database written before versioning existed (migrations up to 0007) is upgraded by the
// gateway's start-up migration: its objects become each key's null version, served as before.
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let migrations: string;
let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
const body = "written before versioning";
const storageKey = `tenant-acme-corp/${randomUUID().slice(0, 2)}/${randomUUID()}`;

beforeAll(async () => {
  database = await createTestDatabase("FI-HEL-upgrade");
  migrations = await mkdtemp(join(tmpdir(), "s3gw-migrations-0007-"));
  await cp(regionalMigrationsFolder, migrations, { recursive: true });
  const journalPath = join(migrations, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= 7);
  await writeFile(journalPath, JSON.stringify(journal));
  const old = await openDatabase({ url: database.url }, regionalSchema);
  await old.migrate(migrations);
  await old.close();

  sql = postgresClient(database.url, { max: 1 });
  await sql`insert into customers (customer_id, customer_name, region_id, country, legal_zone, data_residency_requirement, primary_contact_email, compliance_officer_email)
            values ('acme-corp', 'Acme', 'FI-HEL', 'FI', 'EU', 'strict', 'a@acme.fi', 'dpo@acme.fi')`;
  const [bucket] = await sql`insert into buckets (customer_id, bucket_name, region_id) values ('acme-corp', 'docs', 'FI-HEL') returning bucket_id`;
  const md5 = createHash("md5").update(body).digest("hex");
  const sha256 = createHash("sha256").update(body).digest("hex");
  await sql`insert into object_metadata (customer_id, bucket_id, bucket_name, object_key, region_id, storage_provider_id, storage_country, storage_key, size_bytes, etag, sha256, content_type)
            values ('acme-corp', ${bucket!.bucket_id}, 'docs', 'old.txt', 'FI-HEL', 'fi-hel-fs', 'FI', ${storageKey}, ${Buffer.byteLength(body)}, ${md5}, ${sha256}, 'text/plain')`;

  fi = await startTestRegion("FI-HEL", { database: { url: database.url, poolSize: 5 } });
  const path = join(fi.storageDir, storageKey);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
  acme = s3(fi.url, "acme-corp");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
  await database?.drop();
  await rm(migrations, { recursive: true, force: true });
});

describe("upgrading a database from before versioning", () => {
  it("serves an existing object as the key's null version, and versions stack on it once enabled", async () => {
    const [row] = await sql`select version_id, is_latest, version_stamp from object_metadata where object_key = 'old.txt'`;
    expect(row).toMatchObject({ version_id: "null", is_latest: true });
    const got = await acme("/docs/old.txt");
    expect(await got.text()).toBe(body);
    expect(got.headers.get("x-amz-version-id")).toBeNull();
    expect(await (await acme("/docs/old.txt?versionId=null")).text()).toBe(body);
    expect(await (await acme("/docs?versions")).text()).toContain("<Version><Key>old.txt</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>");

    expect((await acme("/docs?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" })).status).toBe(200);
    const put = await acme("/docs/old.txt", { method: "PUT", body: "after" });
    expect(put.status, await put.clone().text()).toBe(200);
    const v = put.headers.get("x-amz-version-id")!;
    expect(v).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await (await acme("/docs/old.txt")).text()).toBe("after");
    expect(await (await acme("/docs/old.txt?versionId=null")).text()).toBe(body);
    const listing = await (await acme("/docs?versions")).text();
    expect(listing.indexOf(`<VersionId>${v}</VersionId><IsLatest>true</IsLatest>`)).toBeLessThan(listing.indexOf("<VersionId>null</VersionId><IsLatest>false</IsLatest>"));
  });
});
