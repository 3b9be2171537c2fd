import type postgres from "postgres";
import { postgresClient } from "./postgres-client.ts";
import { DatabaseUnavailableError } from "./unavailable.ts";

export interface AvailabilityOptions {
  /** How long the probe's `select 1` may take before the server is declared down. */
  probeTimeoutMs: number;
  /** Pause between probes. */
  probeIntervalMs: number;
  connectTimeoutMs: number;
}

type Query = Promise<unknown> & { state: unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void; cancel(): void; values(): unknown };
type Sql = postgres.Sql;
interface OpenTx { abandon(err: Error): void }

/**
 * Watches one Postgres server with a dedicated one-connection probe, and bounds every query
 * of the pool by it. A refused connection fails fast on its own; a hung server (connections
 * accepted, nothing answered) would not: every query would wait on it for as long as TCP lets
 * it. So when the probe's `select 1` gets no answer in time, the server is declared down:
 * queries in flight are rejected, new ones fail at once, open transactions are abandoned
 * (they roll back, never commit later behind an answered request). The probe keeps going
 * and the first answer brings the pool back. Slow but working queries are left alone: only
 * the probe, which never waits behind them, decides.
 */
export class DatabaseAvailability {
  private down: DatabaseUnavailableError | undefined;
  private readonly queries = new Set<Query>();
  private readonly transactions = new Set<OpenTx>();
  private probeClient: Sql | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly url: string;
  private readonly opts: AvailabilityOptions;

  constructor(url: string, opts: AvailabilityOptions) {
    this.url = url;
    this.opts = opts;
  }

  /** Whether the last probe found the server answering. */
  get available(): boolean {
    return !this.down;
  }

  start(): void {
    this.schedule(this.opts.probeIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.probeClient?.end({ timeout: 0 }).catch(() => {});
  }

  /** The pool as drizzle should see it: every query and transaction bounded by the probe's verdict. */
  guard(client: Sql): Sql {
    return this.wrap(client, undefined);
  }

  /** One probe now: true when the server answered within the probe timeout. */
  async probe(): Promise<boolean> {
    const client = (this.probeClient ??= postgresClient(this.url, { max: 1, connect_timeout: this.opts.connectTimeoutMs / 1000, idle_timeout: 0 }));
    let settled = false;
    const answer = client`select 1`.then(() => true, () => false).finally(() => (settled = true));
    const timeout = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        // After the poll phase: an answer that arrived while the event loop was busy counts.
        setImmediate(() => resolve(settled ? true : false));
      }, this.opts.probeTimeoutMs);
      answer.finally(() => clearTimeout(t));
    });
    const ok = await Promise.race([answer, timeout]);
    if (!ok) {
      // A hung connection is useless; the next probe opens a fresh one.
      this.probeClient = undefined;
      client.end({ timeout: 0 }).catch(() => {});
      this.markDown(new DatabaseUnavailableError(settled ? "the server refused the connection" : `no answer within ${this.opts.probeTimeoutMs} ms`));
    } else {
      this.down = undefined;
    }
    return ok;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.probe().finally(() => this.schedule(this.opts.probeIntervalMs));
    }, ms);
    this.timer.unref();
  }

  private markDown(err: DatabaseUnavailableError): void {
    this.down = err;
    for (const q of this.queries) {
      // A query not yet sent is taken off the queue; one sent to a hung server is abandoned.
      if (!q.state) q.cancel();
      q.reject(err);
    }
    this.queries.clear();
    for (const tx of this.transactions) tx.abandon(err);
    this.transactions.clear();
  }

  private wrap(client: Sql, tx: OpenTx | undefined): Sql {
    const self = this;
    return new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === "unsafe") return (...args: unknown[]) => self.track((target.unsafe as unknown as (...a: unknown[]) => Query)(...args));
        if (prop === "begin") return (...args: unknown[]) => self.begin(target, args);
        if (prop === "savepoint" && tx) {
          return (...args: unknown[]) => {
            const fn = args.pop() as (s: Sql) => unknown;
            return (target as unknown as { savepoint: (...a: unknown[]) => Promise<unknown> }).savepoint(...args, (s: Sql) => fn(self.wrap(s, tx)));
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  }

  private track(q: Query): Query {
    if (this.down) {
      const failed = Promise.reject(this.down) as Query;
      failed.values = () => failed;
      return failed;
    }
    const resolve = q.resolve, reject = q.reject;
    q.resolve = (v) => (this.queries.delete(q), resolve(v));
    q.reject = (e) => (this.queries.delete(q), reject(e));
    this.queries.add(q);
    return q;
  }

  private begin(target: Sql, args: unknown[]): Promise<unknown> {
    if (this.down) return Promise.reject(this.down);
    const fn = args.pop() as (s: Sql) => unknown;
    let abandoned: Error | undefined;
    let giveUp!: (err: Error) => void;
    const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
    const entry: OpenTx = { abandon: (err) => { abandoned ??= err; giveUp(err); } };
    this.transactions.add(entry);
    const run = (target.begin as (...a: unknown[]) => Promise<unknown>)(...args, async (s: Sql) => {
      if (abandoned) throw abandoned;
      const result = await fn(this.wrap(s, entry));
      // The caller was already told it failed: roll back rather than commit behind its back.
      if (abandoned) throw abandoned;
      return result;
    });
    return Promise.race([run, gaveUp]).finally(() => this.transactions.delete(entry));
  }
}
