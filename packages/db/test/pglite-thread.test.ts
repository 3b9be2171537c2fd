// The embedded database in its own thread, through drizzle as the apps use it: values, errors,
// transactions, statement order, notifications and prepared statements as PGlite itself gives them.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, isDatabaseUnavailable, openDatabase } from "../src/index.ts";
import { embeddedStartParams } from "../src/pglite-settings.ts";

let dir: string;
let database: Database<Record<string, never>>;
type Rows = { rows: Record<string, unknown>[] };
const rowsOf = async (d: Database<Record<string, never>>, q: ReturnType<typeof sql>) => ((await d.db.execute(q)) as unknown as Rows).rows;
const rows = (q: ReturnType<typeof sql>) => rowsOf(database, q);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "s3gw-pglite-thread-"));
  database = await openDatabase({ pgliteDir: dir }, {});
  await database.db.execute(sql`create table t (id serial primary key, k text unique, b bytea, j jsonb, n bigint, ts timestamptz default now(), tags text[])`);
});
afterAll(async () => {
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the embedded database thread", () => {
  it("returns the values PGlite in this thread returns (bytea, jsonb, bigint, arrays, timestamps as text, null)", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await database.db.execute(sql`insert into t (k, b, j, n, tags) values ('a', ${bytes}, ${JSON.stringify({ x: [1, "two"] })}, ${9007199254740993n}, ${sql.param(["p", "q r"])})`);
    const [row] = await rows(sql`select k, b, j, n, ts, tags, null::text as nothing from t where k = 'a'`);
    expect(row!.b).toEqual(new Uint8Array(bytes));
    expect(row!.j).toEqual({ x: [1, "two"] });
    expect(row!.tags).toEqual(["p", "q r"]);
    expect(row!.nothing).toBeNull();
    // drizzle keeps timestamps as Postgres wrote them (its own parsers say so): text, as in-thread.
    expect(typeof row!.ts).toBe("string");
    const direct = await PGlite.create();
    try {
      const [ref] = (await direct.query<Record<string, unknown>>(`select ${"'9007199254740993'::bigint"} as n`)).rows;
      expect(row!.n).toEqual(ref!.n);
    } finally {
      await direct.close();
    }
  });

  it("fails a statement with the engine's SQLSTATE and constraint, and goes on", async () => {
    await database.db.execute(sql`insert into t (k) values ('dup')`);
    const err = await database.db.execute(sql`insert into t (k) values ('dup')`).then(() => undefined, (e: unknown) => e as { cause?: { code?: string; constraint?: string } });
    expect(err?.cause).toMatchObject({ code: "23505", constraint: "t_k_key" });
    await expect(database.db.execute(sql`select nonsense from`)).rejects.toMatchObject({ cause: { code: "42601" } });
    expect(await rows(sql`select count(*)::int as c from t where k = 'dup'`)).toEqual([{ c: 1 }]);
  });

  it("commits, rolls back on a throw, and refuses to commit a transaction the engine aborted", async () => {
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into t (k) values ('tx-1')`);
    });
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into t (k) values ('tx-2')`);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    // A failed statement swallowed inside the transaction: COMMIT turns into ROLLBACK, and says so.
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into t (k) values ('tx-3')`);
        await tx.execute(sql`insert into t (k) values ('tx-1')`).catch(() => {});
      }),
    ).rejects.toMatchObject({ code: "25P02" });
    expect(await rows(sql`select k from t where k like 'tx-%' order by k`)).toEqual([{ k: "tx-1" }]);
  });

  it("runs statements in the order they were asked for, and keeps others out of an open transaction", async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => database.db.execute(sql`insert into t (k) values (${`order-${i}`})`)));
    const got = await rows(sql`select k from t where k like 'order-%' order by id`);
    expect(got.map((r) => r.k)).toEqual(Array.from({ length: 100 }, (_, i) => `order-${i}`));

    let outside: Promise<unknown> | undefined;
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into t (k) values ('iso')`);
      // Issued while the transaction is open: it runs after COMMIT, so it sees the row.
      outside = rows(sql`select count(*)::int as c from t where k = 'iso'`);
      await tx.execute(sql`select pg_sleep(0.05)`);
    });
    expect(await outside).toEqual([{ c: 1 }]);
  });

  it("delivers NOTIFY to listen() callbacks until unlistened", async () => {
    const client = (database.db as unknown as { $client: { listen(c: string, cb: (p: string) => void): Promise<() => Promise<void>> } }).$client;
    const got: string[] = [];
    const unlisten = await client.listen("s3gw_test", (p) => got.push(p));
    await database.db.execute(sql`select pg_notify('s3gw_test', 'one')`);
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_notify('s3gw_test', 'two')`);
    });
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(["one", "two"]);
    await unlisten();
    await database.db.execute(sql`select pg_notify('s3gw_test', 'three')`);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(["one", "two"]);
  });

  it("prepares a statement again when a table changed under it, and keeps working past the prepared-statement cap", async () => {
    await database.db.execute(sql`create table shape (a int)`);
    await database.db.execute(sql`insert into shape values (1)`);
    const select = sql`select * from shape`;
    expect(await rows(select)).toEqual([{ a: 1 }]);
    await database.db.execute(sql`alter table shape add column b text default 'x'`);
    expect(await rows(sql`select * from shape`)).toEqual([{ a: 1, b: "x" }]);
    // More distinct statements than are kept prepared: the oldest are closed, all still answer.
    for (let i = 0; i < 260; i++) expect(await rows(sql.raw(`select ${i} as v`))).toEqual([{ v: i }]);
    expect(await rows(sql`select * from shape`)).toEqual([{ a: 1, b: "x" }]);
  });

  it("runs with the embedded settings (16 MB of shared buffers) on top of PGlite's own start parameters", async () => {
    expect(embeddedStartParams({})).toEqual(PGlite.defaultStartParams);
    expect(await rows(sql`select current_setting('shared_buffers') as sb, current_setting('synchronous_commit') as sc`)).toEqual([{ sb: "16MB", sc: "on" }]);
  });
});

describe("a closed embedded database", () => {
  it("keeps its data for the next open, and refuses statements after close as unavailable", async () => {
    const own = await mkdtemp(join(tmpdir(), "s3gw-pglite-reopen-"));
    try {
      const first = await openDatabase({ pgliteDir: own }, {});
      await first.db.execute(sql`create table kept (v text)`);
      await first.db.execute(sql`insert into kept values ('still here')`);
      await first.close();
      const err = await first.db.execute(sql`select 1`).then(() => undefined, (e: unknown) => e);
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(await first.ping()).toBe(false);
      const second = await openDatabase({ pgliteDir: own }, {});
      try {
        expect(await rowsOf(second, sql`select v from kept`)).toEqual([{ v: "still here" }]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it("does not keep a process alive once its statements have answered (a CLI that never closes exits)", async () => {
    const own = await mkdtemp(join(tmpdir(), "s3gw-pglite-exit-"));
    try {
      const index = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "../src/index.ts")).href;
      const script = join(own, "cli.mjs");
      await writeFile(script, `const { openDatabase } = await import(${JSON.stringify(index)});
        const d = await openDatabase({ pgliteDir: ${JSON.stringify(join(own, "pg"))} }, {});
        console.log(JSON.stringify(await d.ping()));`);
      const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 60_000 });
      expect(stdout.trim()).toBe("true");
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
