// The one session of an embedded database, as its thread drives it: statements in the order
// they were asked for, transactions that hold the session from BEGIN to COMMIT/ROLLBACK, and
// each statement prepared once and then executed by name.
//
// Why not PGlite's query(): it runs every statement as six separate exchanges with the engine
// (Parse, Describe, Bind, Describe, Execute, Sync), each a trip into WASM plus a parse of the
// reply, and Postgres parses and plans it again every time. Here a known statement is one
// exchange (Bind, Describe, Execute, Sync) of a named prepared statement whose plan Postgres
// keeps: about a third of the CPU per statement, measured on this engine. Parameters and rows
// go through PGlite's own serializers and result parser, so values are the same as query()'s.
import { type PGlite, parse, protocol, TransactionAbortedError } from "@electric-sql/pglite";
import { FifoLock } from "./fifo-lock.ts";

type Message = { name: string; text?: string };
type Prepared = { name: string; paramTypes: number[] };
type QueryOptions = { rowMode?: "array" | "object"; parsers?: Record<number, (value: string, typeId: number) => unknown> };
export interface SessionResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

/** Prepared statements kept at once; the least recently used is closed beyond this. */
const MAX_PREPARED = 200;
const S = protocol.serialize;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class PgliteSession {
  private readonly pg: PGlite;
  /** Held by each statement outside a transaction, and by a transaction from BEGIN to its end. */
  private readonly session = new FifoLock();
  /** The open transaction's statements, one after the other in the order they were asked for. */
  private readonly inTransaction = new FifoLock();
  /** One exchange with the engine at a time. */
  private readonly wire = new FifoLock();
  private readonly prepared = new Map<string, Prepared>();
  private readonly open = new Map<number, () => void>();
  private nextName = 1;

  constructor(pg: PGlite) {
    this.pg = pg;
  }

  private async exchange(message: Uint8Array): Promise<Message[]> {
    const release = await this.wire.acquire();
    try {
      return (await this.pg.execProtocol(message)).messages as Message[];
    } finally {
      release();
    }
  }

  private async statement(sql: string): Promise<Prepared> {
    const known = this.prepared.get(sql);
    if (known) {
      this.prepared.delete(sql); // most recently used last
      this.prepared.set(sql, known);
      return known;
    }
    const name = `s3gw_${this.nextName++}`;
    const reply = await this.exchange(concat([S.parse({ name, text: sql }), S.describe({ type: "S", name }), S.sync()]));
    const stmt = { name, paramTypes: parse.parseDescribeStatementResults(reply as never) };
    this.prepared.set(sql, stmt);
    if (this.prepared.size > MAX_PREPARED) {
      const [oldest, old] = this.prepared.entries().next().value as [string, Prepared];
      this.prepared.delete(oldest);
      await this.exchange(concat([S.close({ type: "S", name: old.name }), S.sync()]));
    }
    return stmt;
  }

  private async run(sql: string, params: unknown[], options: QueryOptions, retried = false): Promise<SessionResult> {
    const stmt = await this.statement(sql);
    const values = params.map((p, i) => {
      if (p === null || p === undefined) return null;
      const serialize = this.pg.serializers[stmt.paramTypes[i]!];
      return serialize ? serialize(p) : (p as { toString(): string }).toString();
    });
    let reply: Message[];
    try {
      reply = await this.exchange(concat([S.bind({ statement: stmt.name, values: values as string[] }), S.describe({ type: "P" }), S.execute({}), S.sync()]));
    } catch (err) {
      // A table changed under the prepared plan (DDL): prepare it again, once.
      if (!retried && (err as { code?: string }).code === "0A000" && /cached plan must not change result type/.test(String((err as Error).message))) {
        this.prepared.delete(sql);
        return this.run(sql, params, options, true);
      }
      throw err;
    }
    const [result] = parse.parseResults(reply as never, this.pg.parsers, options as never);
    return { rows: result?.rows ?? [], fields: result?.fields ?? [], ...(result?.affectedRows !== undefined ? { affectedRows: result.affectedRows } : {}) };
  }

  /** One statement with parameters; `tx` runs it in that open transaction. */
  async query(sql: string, params: unknown[], options: QueryOptions, tx?: number): Promise<SessionResult> {
    this.assertOpen(tx);
    const release = await (tx === undefined ? this.session : this.inTransaction).acquire();
    try {
      return await this.run(sql, params, options);
    } finally {
      release();
    }
  }

  /** Statements without parameters, several allowed (the simple query protocol). */
  async exec(sql: string, tx?: number): Promise<SessionResult[]> {
    this.assertOpen(tx);
    const release = await (tx === undefined ? this.session : this.inTransaction).acquire();
    try {
      return parse.parseResults((await this.exchange(S.query(sql))) as never, this.pg.parsers).map((r) => ({ rows: r.rows, fields: r.fields, ...(r.affectedRows !== undefined ? { affectedRows: r.affectedRows } : {}) }));
    } finally {
      release();
    }
  }

  /** BEGIN; the session is this transaction's until end(). */
  async begin(id: number): Promise<void> {
    const release = await this.session.acquire();
    try {
      await this.exchange(S.query("BEGIN"));
    } catch (err) {
      release();
      throw err;
    }
    this.open.set(id, release);
  }

  /** COMMIT (refused if Postgres rolled it back instead, as PGlite's transaction() does) or ROLLBACK. */
  async end(id: number, commit: boolean): Promise<void> {
    const release = this.open.get(id);
    if (!release) throw new Error(`transaction ${id} is not open`);
    this.open.delete(id);
    try {
      const reply = await this.exchange(S.query(commit ? "COMMIT" : "ROLLBACK"));
      if (commit && reply.some((m) => m.name === "commandComplete" && m.text === "ROLLBACK")) throw new TransactionAbortedError();
    } finally {
      release();
    }
  }

  private assertOpen(tx: number | undefined): void {
    if (tx !== undefined && !this.open.has(tx)) throw new Error(`transaction ${tx} is not open`);
  }

  /** `fn` with the session to itself (no transaction open): LISTEN, shutdown. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.session.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Ends open transactions (ROLLBACK): their client is gone. */
  async abandonAll(): Promise<void> {
    await Promise.allSettled([...this.open.keys()].map((id) => this.end(id, false)));
  }
}
