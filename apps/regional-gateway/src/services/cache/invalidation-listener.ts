import { NotificationListener, type DatabaseConfig } from "@s3gw/db";
import type { Logger } from "pino";
import type { RegionalDb } from "../../env.ts";
import { CACHE_CHANNEL, type RegionalCache } from "./regional-cache.ts";

export const LISTENER_APPLICATION_NAME = "s3gw-cache-listener";

/**
 * Keeps a RegionalCache current with the region database's notifications (channel s3gw_cache,
 * sent by triggers in the changing transaction), on a LISTEN connection of its own
 * (NotificationListener: reconnects with a backoff, whatever the outage). When that connection
 * is lost the cache stops caching at once (every lookup reads the database), and when LISTEN is
 * back the cache starts again from empty, since notifications sent meanwhile were missed.
 */
export class CacheInvalidationListener {
  readonly #listener: NotificationListener;

  constructor(opts: { database: DatabaseConfig; db: RegionalDb; cache: RegionalCache; logger: Logger }) {
    this.#listener = new NotificationListener({
      database: opts.database,
      db: opts.db,
      channel: CACHE_CHANNEL,
      applicationName: LISTENER_APPLICATION_NAME,
      logger: opts.logger,
      onNotification: (payload) => opts.cache.onNotification(payload),
      onLive: (live) => opts.cache.setLive(live),
    });
  }

  /** The first attempt; if it fails, the cache stays off and retries continue in the background. */
  start(): Promise<void> {
    return this.#listener.start();
  }

  /** True while notifications are being received (the cache is on). */
  get listening(): boolean {
    return this.#listener.listening;
  }

  close(): Promise<void> {
    return this.#listener.close();
  }
}
