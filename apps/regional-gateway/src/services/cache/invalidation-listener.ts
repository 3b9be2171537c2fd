import { DEFAULT_DATABASE_TIMEOUTS, postgresClient, type DatabaseConfig } from "@s3gw/db";
import type { Logger } from "pino";
import type postgres from "postgres";
import type { RegionalDb } from "../../env.ts";
import { CACHE_CHANNEL, type RegionalCache } from "./regional-cache.ts";

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
export const LISTENER_APPLICATION_NAME = "s3gw-cache-listener";

/** The embedded engine's own LISTEN (PGlite runs in this process; its client is drizzle's `$client`). */
interface PgliteLike { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> }

/**
 * Keeps a RegionalCache current with the region database's notifications (channel s3gw_cache,
 * sent by triggers in the changing transaction). With a Postgres server it holds one dedicated
 * connection running LISTEN; when that connection is lost the cache stops caching at once
 * (every lookup reads the database), and when LISTEN is back the cache starts again from empty,
 * since notifications sent meanwhile were missed. It retries with a backoff, whatever the outage.
 */
export class CacheInvalidationListener {
  private client: postgres.Sql | undefined;
  private unlistenPglite: (() => Promise<void>) | undefined;
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private live = false;

  private readonly opts: { database: DatabaseConfig; db: RegionalDb; cache: RegionalCache; logger: Logger };

  constructor(opts: { database: DatabaseConfig; db: RegionalDb; cache: RegionalCache; logger: Logger }) {
    this.opts = opts;
  }

  /** The first attempt; if it fails, the cache stays off and retries continue in the background. */
  async start(): Promise<void> {
    const { database, db, cache, logger } = this.opts;
    if ("url" in database) return this.connect(database.url, database.timeouts?.connectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs);
    const client = (db as unknown as { $client?: Partial<PgliteLike> }).$client;
    if (typeof client?.listen !== "function") {
      logger.warn("the embedded database offers no LISTEN: lookups are not cached");
      return;
    }
    this.unlistenPglite = await (client as PgliteLike).listen(CACHE_CHANNEL, (payload) => cache.onNotification(payload));
    this.live = true;
    cache.setLive(true);
  }

  private async connect(url: string, connectTimeoutMs: number): Promise<void> {
    if (this.closed) return;
    const { cache, logger } = this.opts;
    // `onnotify` and `onclose` are the options postgres.js's own sql.listen is built on; its
    // listen() re-subscribes after a reconnect but gives up silently if that first retry fails.
    const options = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: connectTimeoutMs / 1000,
      // Named so an operator (or a test) can find this instance's listener in pg_stat_activity.
      connection: { application_name: `${LISTENER_APPLICATION_NAME} ${process.pid}` },
      onnotify: (channel: string, payload: string) => {
        if (channel === CACHE_CHANNEL && this.client === client) cache.onNotification(payload);
      },
      onclose: () => this.lost(client, "connection closed"),
    };
    const client: postgres.Sql = postgresClient(url, options as postgres.Options<Record<string, postgres.PostgresType>>);
    this.client = client;
    try {
      await client.unsafe(`listen "${CACHE_CHANNEL}"`);
    } catch (err) {
      this.lost(client, (err as Error).message);
      return;
    }
    if (this.client !== client || this.closed) return;
    this.retryMs = RETRY_MIN_MS;
    this.live = true;
    cache.setLive(true);
    logger.debug("cache invalidation: listening");
  }

  private lost(client: postgres.Sql, why: string): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.live = false;
    this.opts.cache.setLive(false);
    this.opts.logger.warn({ err: why, retryMs: this.retryMs }, "cache invalidation: LISTEN connection lost; lookups bypass the cache until it is back");
    client.end({ timeout: 0 }).catch(() => {});
    const database = this.opts.database as { url: string; timeouts?: { connectTimeoutMs?: number } };
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect(database.url, database.timeouts?.connectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs);
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /** True while notifications are being received (the cache is on). */
  get listening(): boolean {
    return this.live;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    this.opts.cache.setLive(false);
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end({ timeout: 1 }).catch(() => {});
    await this.unlistenPglite?.().catch(() => {});
  }
}
