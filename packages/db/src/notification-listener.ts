import type postgres from "postgres";
import { DEFAULT_DATABASE_TIMEOUTS, type DatabaseConfig } from "./index.ts";
import { postgresClient } from "./postgres-client.ts";

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/** The embedded engine's own LISTEN (PGlite runs in this process; its client is drizzle's `$client`). */
interface PgliteLike { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> }

export interface NotificationListenerOptions {
  database: DatabaseConfig;
  /** The app's drizzle database: with the embedded engine, its client listens. */
  db: unknown;
  channel: string;
  /** application_name of the LISTEN connection (with the process id), so operators and tests can find it in pg_stat_activity. */
  applicationName: string;
  logger: { debug(msg: string): void; warn(obj: object, msg: string): void };
  onNotification(payload: string): void;
  /** Called with true when LISTEN is in place (first time and after every reconnect: notifications sent meanwhile were missed), false when it is lost. */
  onLive(live: boolean): void;
}

/**
 * A LISTEN on one channel of a Postgres server, on a dedicated connection, kept up whatever the
 * outage: when the connection is lost it says so (onLive(false)) and reconnects with a backoff
 * (100 ms doubling to 2 s). With the embedded engine, its in-process listen.
 */
export class NotificationListener {
  #client: postgres.Sql | undefined;
  #unlistenPglite: (() => Promise<void>) | undefined;
  #retryMs = RETRY_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #live = false;
  readonly #opts: NotificationListenerOptions;

  constructor(opts: NotificationListenerOptions) {
    this.#opts = opts;
  }

  /** The first attempt; if it fails, retries continue in the background. */
  async start(): Promise<void> {
    const { database, db, channel, logger } = this.#opts;
    if ("url" in database) return this.#connect(database.url, database.timeouts?.connectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs);
    const client = (db as { $client?: Partial<PgliteLike> }).$client;
    if (typeof client?.listen !== "function") {
      logger.warn({ channel }, "the embedded database offers no LISTEN");
      return;
    }
    this.#unlistenPglite = await (client as PgliteLike).listen(channel, (payload) => this.#opts.onNotification(payload));
    this.#setLive(true);
  }

  async #connect(url: string, connectTimeoutMs: number): Promise<void> {
    if (this.#closed) return;
    const { channel, applicationName, logger } = this.#opts;
    // `onnotify` and `onclose` are the options postgres.js's own sql.listen is built on; its
    // listen() re-subscribes after a reconnect but gives up silently if that first retry fails.
    const options = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: connectTimeoutMs / 1000,
      connection: { application_name: `${applicationName} ${process.pid}` },
      onnotify: (ch: string, payload: string) => {
        if (ch === channel && this.#client === client) this.#opts.onNotification(payload);
      },
      onclose: () => this.#lost(client, "connection closed"),
    };
    const client: postgres.Sql = postgresClient(url, options as postgres.Options<Record<string, postgres.PostgresType>>);
    this.#client = client;
    try {
      await client.unsafe(`listen "${channel}"`);
    } catch (err) {
      this.#lost(client, (err as Error).message);
      return;
    }
    if (this.#client !== client || this.#closed) return;
    this.#retryMs = RETRY_MIN_MS;
    this.#setLive(true);
    logger.debug(`listening on ${channel}`);
  }

  #lost(client: postgres.Sql, why: string): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = undefined;
    this.#setLive(false);
    this.#opts.logger.warn({ channel: this.#opts.channel, err: why, retryMs: this.#retryMs }, "LISTEN connection lost; reconnecting");
    client.end({ timeout: 0 }).catch(() => {});
    const database = this.#opts.database as { url: string; timeouts?: { connectTimeoutMs?: number } };
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect(database.url, database.timeouts?.connectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs);
    }, this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  #setLive(live: boolean): void {
    this.#live = live;
    this.#opts.onLive(live);
  }

  /** True while notifications are being received. */
  get listening(): boolean {
    return this.#live;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#live) this.#setLive(false);
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end({ timeout: 1 }).catch(() => {});
    await this.#unlistenPglite?.().catch(() => {});
  }
}
