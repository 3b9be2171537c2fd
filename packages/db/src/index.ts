import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

/** Either a Postgres server URL or a directory for the embedded PGlite database. */
export type DatabaseConfig = { url: string; poolSize?: number } | { pgliteDir: string };

export type Db<TSchema extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, TSchema>;

export interface Database<TSchema extends Record<string, unknown>> {
  db: Db<TSchema>;
  kind: "postgres" | "pglite";
  migrate(migrationsFolder: string): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openDatabase<TSchema extends Record<string, unknown>>(
  config: DatabaseConfig,
  schema: TSchema,
): Promise<Database<TSchema>> {
  if ("url" in config) {
    const client = postgres(config.url, { max: config.poolSize ?? 10, onnotice: () => {}, connect_timeout: 10 });
    const db = drizzlePostgres(client, { schema });
    return {
      db: db as unknown as Db<TSchema>,
      kind: "postgres",
      migrate: (migrationsFolder) => migratePostgres(db, { migrationsFolder }),
      ping: () => pingWith(db as unknown as Db<TSchema>),
      close: () => client.end({ timeout: 5 }),
    };
  }
  // Loaded only when asked for: the embedded engine costs ~230 MiB of memory just by being imported.
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  const client = await PGlite.create({ dataDir: config.pgliteDir });
  const db = drizzlePglite(client, { schema });
  return {
    db: db as unknown as Db<TSchema>,
    kind: "pglite",
    migrate: (migrationsFolder) => migratePglite(db, { migrationsFolder }),
    ping: () => pingWith(db as unknown as Db<TSchema>),
    close: () => client.close(),
  };
}

async function pingWith(db: Db<Record<string, unknown>>): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

