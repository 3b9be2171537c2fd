// Statement (rendered once, run on a database or a transaction) against both drivers: the same
// rows, types and mapping as drizzle's own builders, and a run inside a transaction is part of it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { boolean, jsonb, pgTable, text, timestamp, bigint } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, Statement, type Database } from "../src/index.ts";
import { createTestDatabase } from "../src/test-databases.ts";

const things = pgTable("stmt_things", {
  id: text("id").primaryKey(),
  owner: text("owner").notNull(),
  latest: boolean("latest").notNull(),
  meta: jsonb("meta").$type<Record<string, string>>().notNull(),
  doc: jsonb("doc").$type<{ a: number }>(),
  until: timestamp("until", { withTimezone: true }),
  size: bigint("size", { mode: "number" }).notNull(),
  at: timestamp("at", { withTimezone: true }).notNull(),
});
const schema = { things };

const byOwner = Statement.of<{ owner: string }, (typeof things.$inferSelect)[]>((db) =>
  db.select().from(things).where(and(eq(things.owner, sql.placeholder("owner")), eq(things.latest, true))).limit(5));
const insertThing = Statement.of<typeof things.$inferInsert, (typeof things.$inferSelect)[]>((db) =>
  db.insert(things).values({
    id: sql.placeholder("id"), owner: sql.placeholder("owner"), latest: sql.placeholder("latest"),
    meta: sql.placeholder("meta"), size: sql.placeholder("size"), at: sql.placeholder("at"), doc: sql.placeholder("doc"), until: sql.placeholder("until"),
  }).onConflictDoUpdate({ target: things.id, set: { size: sql`excluded.size`, meta: sql`excluded.meta` } }).returning());
const lock = Statement.sql<{ k: string }>(sql`select pg_advisory_xact_lock(hashtextextended(${sql.placeholder("k")}, 0))`);

const drivers: [string, () => Promise<{ database: Database<typeof schema>; done: () => Promise<void> }>][] = [
  ["postgres", async () => {
    const t = await createTestDatabase("stmt");
    const database = await openDatabase({ url: t.url }, schema);
    return { database, done: async () => { await database.close(); await t.drop(); } };
  }],
  ["pglite", async () => {
    const dir = await mkdtemp(join(tmpdir(), "s3gw-stmt-"));
    const database = await openDatabase({ pgliteDir: dir }, schema);
    return { database, done: async () => { await database.close(); await rm(dir, { recursive: true, force: true }); } };
  }],
];

describe.each(drivers)("Statement on %s", (_name, open) => {
  let database: Database<typeof schema>;
  let done: () => Promise<void>;
  beforeAll(async () => {
    ({ database, done } = await open());
    await database.db.execute(sql`create table stmt_things (id text primary key, owner text not null, latest boolean not null, meta jsonb not null, size bigint not null, at timestamptz not null, doc jsonb, until timestamptz)`);
  }, 60_000);
  afterAll(() => done());

  it("returns what drizzle's own builder returns, values and types alike", async () => {
    const at = new Date("2026-12-03T10:00:00.123Z");
    const [inserted] = await insertThing.run(database.db, { id: "a", owner: "o1", latest: true, meta: { k: "ü v" }, size: 2 ** 40, at, doc: { a: 1 }, until: at });
    expect(inserted).toEqual({ id: "a", owner: "o1", latest: true, meta: { k: "ü v" }, size: 2 ** 40, at, doc: { a: 1 }, until: at });
    await insertThing.run(database.db, { id: "b", owner: "o1", latest: false, meta: {}, size: 1, at, doc: null, until: null });
    const viaStatement = await byOwner.run(database.db, { owner: "o1" });
    const viaBuilder = await database.db.select().from(things).where(and(eq(things.owner, "o1"), eq(things.latest, true))).limit(5);
    expect(viaStatement).toEqual(viaBuilder);
    expect(viaStatement.map((r) => r.id)).toEqual(["a"]);
    expect(viaStatement[0]!.at).toBeInstanceOf(Date);
  });

  it("a null value is SQL NULL (not the JSON value null), a timestamp's and a jsonb's alike", async () => {
    await insertThing.run(database.db, { id: "n", owner: "o3", latest: true, meta: {}, size: 0, at: new Date(), doc: null, until: null });
    const rows = await database.db.execute(sql`select doc is null as doc_null, until is null as until_null from stmt_things where id = 'n'`);
    const row = (Array.isArray(rows) ? rows[0] : (rows as unknown as { rows: unknown[] }).rows[0]) as { doc_null: boolean; until_null: boolean };
    expect(row).toEqual({ doc_null: true, until_null: true });
    expect((await byOwner.run(database.db, { owner: "o3" }))[0]).toMatchObject({ doc: null, until: null });
  });

  it("a value is a parameter, never SQL: a quote or a placeholder-looking string matches nothing", async () => {
    expect(await byOwner.run(database.db, { owner: "o1' or '1'='1" })).toEqual([]);
    expect(await byOwner.run(database.db, { owner: "$1" })).toEqual([]);
    expect(byOwner.text).not.toContain("o1");
  });

  it("runs inside a transaction: a rollback takes its writes with it, a commit keeps them", async () => {
    await expect(database.db.transaction(async (tx) => {
      await lock.run(tx, { k: "key" });
      await insertThing.run(tx, { id: "rolled", owner: "o2", latest: true, meta: {}, size: 1, at: new Date(), doc: null, until: null });
      expect((await byOwner.run(tx, { owner: "o2" })).map((r) => r.id)).toEqual(["rolled"]);
      throw new Error("roll back");
    })).rejects.toThrow("roll back");
    expect(await byOwner.run(database.db, { owner: "o2" })).toEqual([]);
    await database.db.transaction(async (tx) => {
      await insertThing.run(tx, { id: "kept", owner: "o2", latest: true, meta: {}, size: 1, at: new Date(), doc: null, until: null });
    });
    expect((await byOwner.run(database.db, { owner: "o2" })).map((r) => r.id)).toEqual(["kept"]);
  });

  it("an upsert through the statement updates only what its conflict clause sets", async () => {
    const [row] = await insertThing.run(database.db, { id: "a", owner: "ignored", latest: false, meta: { n: "2" }, size: 7, at: new Date(), doc: null, until: null });
    expect(row).toMatchObject({ id: "a", owner: "o1", latest: true, meta: { n: "2" }, size: 7 });
  });
});

describe("Statement on postgres: prepared once per connection", () => {
  it("a statement is prepared on the connection and reused (Bind and Execute only after the first run), not parsed again per run", async () => {
    const t = await createTestDatabase("stmtprep");
    // One connection, so the catalog query below sees the same session's prepared statements.
    const database = await openDatabase({ url: t.url, poolSize: 1 }, schema);
    try {
      await database.db.execute(sql`create table stmt_things (id text primary key, owner text not null, latest boolean not null, meta jsonb not null, size bigint not null, at timestamptz not null, doc jsonb, until timestamptz)`);
      for (let i = 0; i < 5; i++) await byOwner.run(database.db, { owner: `o${i}` });
      await database.db.transaction(async (tx) => {
        await lock.run(tx, { k: "a" });
        await lock.run(tx, { k: "b" });
      });
      const rows = await database.db.execute(sql`select statement from pg_prepared_statements where statement like '%stmt_things%' or statement like '%pg_advisory_xact_lock%'`);
      const texts = (rows as unknown as { statement: string }[]).map((r) => r.statement).sort();
      expect(texts).toEqual([lock.text, byOwner.text].sort());
    } finally {
      await database.close();
      await t.drop();
    }
  }, 60_000);
});
