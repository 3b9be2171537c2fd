// Gateways of one region started together on a fresh database migrate it one at a time: without
// the lock, concurrent CREATEs raced and one process exited (duplicate key in pg_type).
import { openDatabase, postgresClient } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import { expect, it } from "vitest";

it("four processes' worth of migrations at once on a fresh database all succeed, and leave no lock behind", async () => {
  const db = await createTestDatabase("migrate_race");
  const opened = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: db.url }, regionalSchema)));
  try {
    const results = await Promise.allSettled(opened.map((d) => d.migrate(regionalMigrationsFolder)));
    expect(results.map((r) => (r.status === "rejected" ? String((r.reason as Error).cause ?? r.reason) : "ok"))).toEqual(["ok", "ok", "ok", "ok"]);
    const sql = postgresClient(db.url, { max: 1 });
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
      const files = (await import("node:fs")).readdirSync(regionalMigrationsFolder).filter((f) => f.endsWith(".sql")).length;
      expect(row!.n).toBe(files); // each migration applied once
      const locks = await sql`select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
      expect(locks.length).toBe(0);
    } finally {
      await sql.end();
    }
  } finally {
    await Promise.all(opened.map((d) => d.close()));
    await db.drop();
  }
}, 120_000);
