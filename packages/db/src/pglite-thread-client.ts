// The main thread's side of an embedded database running in its own worker thread
// (pglite-thread.ts). It offers the part of PGlite's interface that drizzle's PGlite driver and
// the apps use — query, exec, transaction, listen, close — so `drizzle(client)` works unchanged.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { type Reply, type Request, type RowMode, deserializeError, detachBinary, type SerializedError, type ThreadStart } from "./pglite-protocol.ts";
import { DatabaseUnavailableError } from "./unavailable.ts";

export interface QueryResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

export interface QueryOptions {
  rowMode?: RowMode;
  parsers?: Record<number, (value: string, typeId: number) => unknown>;
}

/** What runs statements: the client itself, or one open transaction of it. */
export interface PgliteExecutor {
  query(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult>;
  exec(sql: string): Promise<QueryResult[]>;
}

type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

const PROBE = "2000-01-01 00:00:00.123456+00";

/**
 * Result parsers cannot cross threads. drizzle passes only parsers that keep a column's text
 * as it is (timestamps, dates, intervals and their arrays); those become a list of type OIDs.
 * Anything else is refused rather than silently parsed differently.
 */
function rawTypes(parsers: QueryOptions["parsers"]): number[] | undefined {
  if (!parsers) return undefined;
  const oids = Object.keys(parsers).map(Number);
  for (const oid of oids) {
    if (parsers[oid]!(PROBE, oid) !== PROBE) throw new Error(`the embedded database thread supports only text-preserving result parsers (type ${oid})`);
  }
  return oids;
}

export class PgliteThreadClient implements PgliteExecutor {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();
  private nextId = 1;
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(worker: Worker) {
    this.worker = worker;
  }

  /**
   * Starts the thread and opens the database in `start.dataDir`. A new database is created
   * first by a thread of its own that then ends: initdb runs a second engine and leaves
   * ~300 MiB of garbage behind that V8 would hold on to for the database's whole life.
   */
  static async open(start: ThreadStart): Promise<PgliteThreadClient> {
    if (!existsSync(join(start.dataDir, "PG_VERSION"))) await PgliteThreadClient.started({ ...start, initOnly: true }).then((w) => w.terminate());
    return new PgliteThreadClient(await PgliteThreadClient.started(start)).listening();
  }

  private static async started(start: ThreadStart): Promise<Worker> {
    const worker = new Worker(new URL("./pglite-thread.ts", import.meta.url), { workerData: start });
    await new Promise<void>((resolve, reject) => {
      const onStart = (m: Reply) => {
        if (m.kind !== "ready" && m.kind !== "startFailed") return;
        worker.off("message", onStart);
        worker.off("error", reject);
        if (m.kind === "ready") resolve();
        else reject(deserializeError(m.error));
      };
      worker.on("message", onStart);
      worker.once("error", reject);
    });
    return worker;
  }

  private listening(): this {
    this.worker.on("message", (m: Reply) => {
      if (m.kind === "ok" || m.kind === "failed") {
        const waiter = this.pending.get(m.id);
        if (!waiter) return;
        this.pending.delete(m.id);
        this.updateRef();
        if (m.kind === "ok") waiter.resolve(m.value);
        else waiter.reject(deserializeError(m.error as SerializedError));
      } else if (m.kind === "notify") {
        for (const cb of this.listeners.get(m.channel) ?? []) cb(m.payload);
      }
    });
    const fail = (why: string) => {
      this.stopped ??= new DatabaseUnavailableError(why);
      for (const waiter of this.pending.values()) waiter.reject(this.stopped);
      this.pending.clear();
    };
    this.worker.on("error", (err) => fail(`the embedded database thread failed: ${err.message}`));
    this.worker.on("exit", (code) => fail(`the embedded database thread exited (code ${code})`));
    this.updateRef();
    return this;
  }

  /** The thread keeps the process alive only while a statement is waiting for it, as PGlite in-thread would. */
  private updateRef(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private request<T>(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.updateRef();
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }

  private executor(tx: number | undefined): PgliteExecutor {
    return {
      query: (sql, params = [], options = {}) => {
        const transfer: ArrayBuffer[] = [];
        const raw = rawTypes(options.parsers);
        return this.request<QueryResult>(
          { op: "query", sql, params: detachBinary(params, transfer), ...(tx !== undefined ? { tx } : {}), ...(options.rowMode ? { rowMode: options.rowMode } : {}), ...(raw ? { rawTypes: raw } : {}) },
          transfer,
        );
      },
      exec: (sql) => this.request<QueryResult[]>({ op: "exec", sql, ...(tx !== undefined ? { tx } : {}) }),
    };
  }

  query(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult> {
    return this.executor(undefined).query(sql, params, options);
  }

  exec(sql: string): Promise<QueryResult[]> {
    return this.executor(undefined).exec(sql);
  }

  /**
   * BEGIN, the callback's statements, then COMMIT — or ROLLBACK if it throws. As with PGlite
   * in-thread, statements outside the transaction wait until it ends.
   */
  async transaction<T>(callback: (tx: PgliteExecutor) => Promise<T>): Promise<T> {
    const tx = await this.request<number>({ op: "begin" });
    let result: T;
    try {
      result = await callback(this.executor(tx));
    } catch (err) {
      await this.request({ op: "end", tx, commit: false }).catch(() => {});
      throw err;
    }
    await this.request({ op: "end", tx, commit: true });
    return result;
  }

  /** PGlite's listen(): the callback gets each NOTIFY payload on `channel`; returns the unlisten. */
  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      this.listeners.set(channel, (set = new Set()));
      await this.request({ op: "listen", channel });
    }
    set.add(callback);
    return async () => {
      set.delete(callback);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        await this.request({ op: "unlisten", channel }).catch(() => {});
      }
    };
  }

  /** Waits for queued statements, shuts the engine down cleanly (checkpoint) and ends the thread. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      if (this.stopped) return;
      await this.request({ op: "close" });
      // The engine has shut down (and written its checkpoint); what is left of the thread can go.
      await this.worker.terminate();
    })());
  }

  get closed(): boolean {
    return this.stopped !== undefined;
  }
}
