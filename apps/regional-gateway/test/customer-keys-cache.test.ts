import { randomUUID } from "node:crypto";
import { postgresClient } from "@s3gw/db";
import pino from "pino";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_TTL_MS } from "../src/services/cache/regional-cache.ts";
import { rewrapPass } from "../src/services/keys/key-rewrap.ts";
import { LocalKeyProvider } from "../src/services/keys/local-key-provider.ts";
import { startRegionalGateway, type RunningGateway } from "../src/start.ts";
import { createKey, keyAction, kmsOutcome } from "./customer-keys-helpers.ts";
import { register, startTestRegion, type TestRegion } from "./harness.ts";

/** Two gateway instances of one region on one database: A (with the API) and B. */
let a: TestRegion;
let b: RunningGateway;
let sql: postgres.Sql;
const keysOf = (g: RunningGateway) => g.deps.keys as LocalKeyProvider;
/** Notified changes must show well before a cached entry could have expired. */
const NOTIFIED_DEADLINE_MS = CACHE_TTL_MS / 2;

beforeAll(async () => {
  a = await startTestRegion("FI-HEL");
  b = await startRegionalGateway({ ...a.deps.config, port: 0 }, { logger: pino({ level: "silent" }) });
  sql = postgresClient(a.databaseUrl, { max: 1 });
  for (const c of ["acme-corp", "globex", "hooli"]) expect((await register(a.url, c)).status).toBe(201);
});
afterAll(async () => {
  await sql?.end();
  await b?.close();
  await a?.destroy();
});

async function until(what: string, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > NOTIFIED_DEADLINE_MS) throw new Error(`${what}: not within ${NOTIFIED_DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - start;
}

describe("key cache across instances", () => {
  it("B stops using a key disabled through A (or in SQL) as soon as the change is notified", async () => {
    const key = await createKey(a.url, "acme-corp");
    const dk = await keysOf(b).generateDataKey({ customerId: "acme-corp", keyId: key.key_id }); // B's cache holds it Enabled
    expect((await keyAction(a.url, "acme-corp", key.key_id, "disable")).status).toBe(200);
    await until("disable seen by B", async () => (await kmsOutcome(keysOf(b).decryptDataKey({ customerId: "acme-corp", ...dk }))) === "KMS.DisabledException");
    await sql`update customer_keys set state = 'Enabled' where key_id = ${key.key_id}`;
    await until("SQL enable seen by B", async () => (await kmsOutcome(keysOf(b).decryptDataKey({ customerId: "acme-corp", ...dk }))) === "ok");
  });

  it("B wraps new data keys under the version rotated through A, and still unwraps the old ones", async () => {
    const key = await createKey(a.url, "acme-corp");
    const old = await keysOf(b).generateDataKey({ customerId: "acme-corp", keyId: key.key_id });
    expect((await keyAction(a.url, "acme-corp", key.key_id, "rotate")).body.current_version).toBe(2);
    await until("rotation seen by B", async () => (await keysOf(b).generateDataKey({ customerId: "acme-corp", keyId: key.key_id })).keyVersion === 2);
    expect((await keysOf(b).decryptDataKey({ customerId: "acme-corp", ...old })).equals(old.plaintext)).toBe(true);
  });

  it("two instances' concurrent first uses create one default key", async () => {
    const ids = await Promise.all([keysOf(a).defaultKeyId("hooli"), keysOf(b).defaultKeyId("hooli"), keysOf(a).defaultKeyId("hooli"), keysOf(b).defaultKeyId("hooli")]);
    expect(new Set(ids).size).toBe(1);
    expect((await sql`select count(*)::int as n from customer_keys where customer_id = 'hooli'`)[0]!.n).toBe(1);
  });

  it("generating and decrypting under a cached key touch no database", async () => {
    let queries = 0;
    const counting = new Proxy(b.deps.db, {
      get(target, prop, receiver) {
        if (["select", "insert", "update", "execute", "transaction"].includes(String(prop))) queries++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const provider = new LocalKeyProvider({ ...b.deps, db: counting });
    await provider.generateDataKey({ customerId: "globex" }); // creates the default key
    // Creating it notifies (our own change): that invalidation arrives once, then the cache settles.
    await new Promise((r) => setTimeout(r, 300));
    const first = await provider.generateDataKey({ customerId: "globex" }); // warms the cache again
    const warm = queries;
    expect(warm).toBeGreaterThan(0);
    for (let i = 0; i < 200; i++) {
      const dk = await provider.generateDataKey({ customerId: "globex" });
      await provider.decryptDataKey({ customerId: "globex", ...dk });
      await provider.decryptDataKey({ customerId: "globex", ...first });
    }
    expect(queries).toBe(warm);
  });
});

describe("re-wrap after rotation", () => {
  const encryption = (keyId: string, d: { keyVersion: number; wrapped: string }) => ({ mode: "aws:kms", keyId, dataKey: { scheme: "seg256k-gcm-v1", keyVersion: d.keyVersion, wrapped: d.wrapped } });

  it("moves every blob's data key to the current version (same plaintext), skips what does not unwrap, leaves other keys alone", async () => {
    const keys = keysOf(a);
    const key = await createKey(a.url, "globex");
    const other = await createKey(a.url, "globex");
    const [bucket] = await sql`insert into buckets (customer_id, bucket_name, region_id) values ('globex', 'rewrap-bucket', 'FI-HEL') returning bucket_id`;
    const uploadId = randomUUID();
    await sql`insert into multipart_uploads (upload_id, customer_id, bucket_id, bucket_name, object_key, storage_provider_id, storage_country, content_type)
      values (${uploadId}, 'globex', ${bucket!.bucket_id}, 'rewrap-bucket', 'big', 'fi-hel-fs', 'FI', 'application/octet-stream')`;
    const plain: Record<string, Buffer> = {};
    const insert = async (table: string, storageKey: string, keyId: string, d: { keyVersion: number; wrapped: string }) => {
      const enc = sql.json(encryption(keyId, d));
      if (table === "object_metadata") {
        await sql`insert into object_metadata (customer_id, bucket_id, bucket_name, object_key, region_id, storage_provider_id, storage_country, storage_key, size_bytes, etag, sha256, content_type, encryption)
          values ('globex', ${bucket!.bucket_id}, 'rewrap-bucket', ${storageKey}, 'FI-HEL', 'fi-hel-fs', 'FI', ${storageKey}, 1, 'e', 's', 'text/plain', ${enc})`;
      } else if (table === "object_parts") {
        await sql`insert into object_parts (manifest_key, part_number, offset_bytes, size_bytes, storage_key, etag, sha256, customer_id, storage_provider_id, encryption)
          values ('manifest', ${Number(storageKey.slice(-1))}, 0, 1, ${storageKey}, 'e', 's', 'globex', 'fi-hel-fs', ${enc})`;
      } else {
        await sql`insert into multipart_parts (upload_id, part_number, storage_key, size_bytes, etag, sha256, encryption)
          values (${uploadId}, ${Number(storageKey.slice(-1))}, ${storageKey}, 1, 'e', 's', ${enc})`;
      }
    };
    for (const [table, sk] of [["object_metadata", "om-1"], ["object_metadata", "om-2"], ["object_parts", "op-1"], ["multipart_parts", "mp-1"]] as const) {
      const d = await keys.generateDataKey({ customerId: "globex", keyId: key.key_id });
      plain[sk] = d.plaintext;
      await insert(table, `tenant-globex/${sk}`, key.key_id, d);
    }
    const untouched = await keys.generateDataKey({ customerId: "globex", keyId: other.key_id });
    await insert("object_parts", "tenant-globex/op-2", other.key_id, untouched);
    const tampered = await keys.generateDataKey({ customerId: "globex", keyId: key.key_id });
    await insert("object_parts", "tenant-globex/op-3", key.key_id, { keyVersion: 1, wrapped: `${tampered.wrapped.slice(0, -2)}AA` });

    expect(await rewrapPass(a.deps, keys)).toEqual({ rewrapped: 0, skipped: 0 }); // nothing rotated yet
    expect((await keyAction(a.url, "globex", key.key_id, "rotate")).status).toBe(200);
    expect(await rewrapPass(a.deps, keys)).toEqual({ rewrapped: 4, skipped: 1 });

    const rows = await sql`select storage_key, encryption from object_metadata where storage_key like 'tenant-globex/%'
      union all select storage_key, encryption from object_parts where customer_id = 'globex'
      union all select storage_key, encryption from multipart_parts where upload_id = ${uploadId}`;
    const versions = Object.fromEntries(rows.map((r) => [r.storage_key.slice("tenant-globex/".length), r.encryption.dataKey.keyVersion]));
    expect(versions).toEqual({ "om-1": 2, "om-2": 2, "op-1": 2, "mp-1": 2, "op-2": 1, "op-3": 1 });
    for (const r of rows) {
      const sk = r.storage_key.slice("tenant-globex/".length);
      if (!plain[sk]) continue;
      const d = r.encryption.dataKey;
      expect((await keys.decryptDataKey({ customerId: "globex", keyId: r.encryption.keyId, keyVersion: d.keyVersion, wrapped: d.wrapped })).equals(plain[sk]!)).toBe(true);
    }
    expect(await rewrapPass(a.deps, keys)).toEqual({ rewrapped: 0, skipped: 1 });
    // Another customer's rows naming globex's key are not globex's: never re-wrapped by that key.
    const stolen = await keys.generateDataKey({ customerId: "globex", keyId: key.key_id });
    await sql`insert into object_parts (manifest_key, part_number, offset_bytes, size_bytes, storage_key, etag, sha256, customer_id, storage_provider_id, encryption)
      values ('manifest-acme', 1, 0, 1, 'tenant-acme-corp/x', 'e', 's', 'acme-corp', 'fi-hel-fs', ${sql.json(encryption(key.key_id, { keyVersion: 1, wrapped: stolen.wrapped }))})`;
    expect(await rewrapPass(a.deps, keys)).toEqual({ rewrapped: 0, skipped: 1 });
  });
});
