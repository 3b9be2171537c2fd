import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { DatabaseAvailability } from "./availability.ts";
import { postgresClient } from "./postgres-client.ts";

export { NotificationListener, type NotificationListenerOptions } from "./notification-listener.ts";
export { postgresClient } from "./postgres-client.ts";
export { Statement } from "./statement.ts";
export { DatabaseUnavailableError, isDatabaseUnavailable } from "./unavailable.ts";

/** Either a Postgres server URL or a directory for the embedded PGlite database. */
export type DatabaseConfig = { url: string; poolSize?: number; timeouts?: Partial<DatabaseTimeouts> } | { pgliteDir: string };

/**
 * How quickly an unreachable server is noticed. A refused connection fails at once; a hung
 * server is declared down when the availability probe gets no answer in `probeTimeoutMs`
 * (probing every `probeIntervalMs`), so a request waits at most about the sum of the two.
 */
export interface DatabaseTimeouts {
  connectTimeoutMs: number;
  probeTimeoutMs: number;
  probeIntervalMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectTimeoutMs: 1500, probeTimeoutMs: 1000, probeIntervalMs: 500 };

export type Db<TSchema extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, TSchema>;

/**
 * A connection of its own, outside the pool: session state (a session-level advisory lock)
 * lives exactly as long as it, every statement sent through it runs on it, and `close()` ends
 * it, which releases whatever the session held even when a statement could not. PGlite has
 * one connection; its dedicated connection is the database itself and `close()` does nothing.
 */
export interface DedicatedConnection<TSchema extends Record<string, unknown>> {
  db: Db<TSchema>;
  /**
   * How often the connection has closed so far. The driver reconnects by itself on the next
   * statement, in a new session without the old one's state: a change here means that state is gone.
   */
  closes(): number;
  close(): Promise<void>;
}

export interface Database<TSchema extends Record<string, unknown>> {
  db: Db<TSchema>;
  kind: "postgres" | "pglite";
  /** `name` is the connection's application_name, so operators can tell it apart in pg_stat_activity. */
  dedicatedConnection(name: string): DedicatedConnection<TSchema>;
  migrate(migrationsFolder: string): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openDatabase<TSchema extends Record<string, unknown>>(
  config: DatabaseConfig,
  schema: TSchema,
): Promise<Database<TSchema>> {
  if ("url" in config) {
    const timeouts = { ...DEFAULT_DATABASE_TIMEOUTS, ...config.timeouts };
    const client = postgresClient(config.url, { max: config.poolSize ?? 10, connect_timeout: timeouts.connectTimeoutMs / 1000 });
    const availability = new DatabaseAvailability(config.url, timeouts);
    availability.start();
    const db = drizzlePostgres(availability.guard(client), { schema });
    return {
      db: db as unknown as Db<TSchema>,
      kind: "postgres",
      dedicatedConnection: (name) => {
        let closes = 0;
        const own = postgresClient(config.url, {
          max: 1, connect_timeout: timeouts.connectTimeoutMs / 1000, connection: { application_name: name }, onclose: () => void closes++,
        });
        return { db: drizzlePostgres(availability.guard(own), { schema }) as unknown as Db<TSchema>, closes: () => closes, close: () => own.end({ timeout: 1 }) };
      },
      migrate: (migrationsFolder) => migrateSerialised(config.url, timeouts, () => migratePostgres(db, { migrationsFolder })),
      // A server already declared down is reported at once, not after another timeout.
      ping: async () => availability.available && (await pingWith(db as unknown as Db<TSchema>)),
      close: async () => {
        await availability.stop();
        await client.end({ timeout: 5 });
      },
    };
  }
  // Loaded only when asked for. The engine itself runs in a worker thread of its own
  // (pglite-thread.ts): its statements block that thread, not the one serving requests.
  const [{ PgliteThreadClient }, { drizzle: drizzlePglite }, { migrate: migratePglite }, { embeddedStartParams }] = await Promise.all([
    import("./pglite-thread-client.ts"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
    import("./pglite-settings.ts"),
  ]);
  // relaxedDurability: see pglite-settings.ts (a no-op for the node filesystem; commits are
  // written before they answer either way).
  const client = await PgliteThreadClient.open({ dataDir: config.pgliteDir, startParams: embeddedStartParams(), relaxedDurability: true });
  // drizzle's driver needs only query/transaction (and the apps listen()), which the thread
  // client provides with PGlite's signatures.
  const db = drizzlePglite(client as unknown as import("@electric-sql/pglite").PGlite, { schema });
  return {
    db: db as unknown as Db<TSchema>,
    kind: "pglite",
    dedicatedConnection: () => ({ db: db as unknown as Db<TSchema>, closes: () => 0, close: async () => {} }),
    migrate: (migrationsFolder) => migratePglite(db, { migrationsFolder }),
    ping: () => pingWith(db as unknown as Db<TSchema>),
    close: () => client.close(),
  };
}

/** Session advisory lock key of migrations: one per database (advisory locks are per database). */
const MIGRATION_LOCK = 0x5367_7701;
/** How long a migration waits for another process's migration of the same database. */
const MIGRATION_LOCK_WAIT = "120s";

/**
 * Migrations of one database, one process at a time: gateways of a region started together on
 * a fresh database raced in CREATE (one exited on a duplicate pg_type row). The lock is held by
 * a session of its own, so it ends with that session whatever happens to the migration.
 */
async function migrateSerialised(url: string, timeouts: DatabaseTimeouts, run: () => Promise<void>): Promise<void> {
  const lock = postgresClient(url, { max: 1, connect_timeout: timeouts.connectTimeoutMs / 1000, connection: { application_name: "s3gw-migrate" } });
  try {
    await lock.unsafe(`set lock_timeout = '${MIGRATION_LOCK_WAIT}'`);
    await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await run();
  } finally {
    await lock.end({ timeout: 1 });
  }
}

async function pingWith(db: Db<Record<string, unknown>>): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

