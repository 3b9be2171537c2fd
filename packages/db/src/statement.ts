// Statements rendered to SQL once. drizzle renders a query builder to SQL text on every
// execution: for a 30-column table's lookup that is ~85 µs of CPU, for its upsert more, and on
// the gateway's hot paths (a GET's object lookup, a PUT's commit) it was the largest single CPU
// cost after the network (issue 9's profiles). A Statement is built once from a query whose
// values are `sql.placeholder(...)`s; each run hands the rendered SQL, its parameters and its
// result mapping to the driver session of whatever it runs on — the database or one of its
// transactions — so the values, type mapping and results are exactly drizzle's own.
import { PgDatabase, PgDialect, PgSession, type PgQueryResultHKT, type PreparedQueryConfig } from "drizzle-orm/pg-core";
import { is, Param, Placeholder, type SQL } from "drizzle-orm";
import type { Db } from "./index.ts";

type PrepareArgs = Parameters<PgSession["prepareQuery"]>;
/** postgres.js names its prepared statements itself; drizzle only asks whether there is a name. */
const PREPARED = "s3gw_statement";
interface Captured { args: PrepareArgs; joinsNotNullableMap: unknown }

/** Records what a query builder would hand the session instead of running anything. */
class RecordingSession extends PgSession {
  captured: Captured | undefined;
  constructor() {
    super(new PgDialect());
  }
  override prepareQuery(...args: PrepareArgs): never {
    const captured: Captured = { args, joinsNotNullableMap: undefined };
    this.captured = captured;
    // The builders set these on what they get back before returning it.
    const sink = { setToken: () => sink, set joinsNotNullableMap(v: unknown) { captured.joinsNotNullableMap = v; } };
    return sink as never;
  }
  override transaction(): never {
    throw new Error("a Statement cannot open a transaction");
  }
}

/**
 * drizzle encodes a literal null as SQL NULL but hands a placeholder's value to the column's
 * encoder as is: a null timestamp would throw, and a null jsonb would become the JSON value
 * `null`. Each placeholder's encoder here passes null through, as a literal's would be.
 */
function nullSafe(captured: Captured): Captured {
  const [query, ...rest] = captured.args;
  const params = query.params.map((p) => {
    if (!is(p, Param) || !is(p.value, Placeholder)) return p;
    const encoder = p.encoder;
    return new Param(p.value, { mapToDriverValue: (v: unknown) => (v === null || v === undefined ? null : encoder.mapToDriverValue(v)) });
  });
  return { ...captured, args: [{ ...query, params }, ...rest] as PrepareArgs };
}

/** Anything with drizzle's `prepare()`: select, insert, update, delete builders. */
interface Preparable<R> { prepare(name?: string): { execute(values?: Record<string, unknown>): Promise<R> } }

/** A database or a transaction handle: both carry the driver session a statement runs on. */
type RunsOn = Pick<Db<Record<string, unknown>>, "execute">;

export class Statement<V extends Record<string, unknown>, R> {
  private readonly captured: Captured;

  private constructor(captured: Captured) {
    this.captured = captured;
  }

  /** `build` gets a database that only records: build the query with `sql.placeholder(name)` for every value that varies. */
  static of<V extends Record<string, unknown>, R>(build: (db: Db<Record<string, never>>) => Preparable<R>): Statement<V, R> {
    const session = new RecordingSession();
    const db = new PgDatabase<PgQueryResultHKT, Record<string, never>>(new PgDialect(), session, undefined);
    build(db as unknown as Db<Record<string, never>>).prepare();
    if (!session.captured) throw new Error("Statement.of: the builder did not prepare a query");
    return new Statement<V, R>(nullSafe(session.captured));
  }

  /** Plain SQL (`sql` with `sql.placeholder(...)` values) whose rows are not mapped: `db.execute`'s result. */
  static sql<V extends Record<string, unknown>>(query: SQL): Statement<V, unknown> {
    return new Statement<V, unknown>(nullSafe({ args: [new PgDialect().sqlToQuery(query), undefined, undefined, false], joinsNotNullableMap: undefined }));
  }

  /** Runs on the database or inside a transaction (`tx`), with the placeholders' values. */
  run(on: RunsOn, values: V): Promise<R> {
    const session = (on as unknown as { session: PgSession }).session;
    const [query, fields, , arrayMode, mapper, meta, cacheConfig] = this.captured.args;
    // A name makes postgres.js prepare the statement once per connection (Parse and Describe
    // the first time, then Bind and Execute only). Unnamed, every run with parameters was two
    // round trips (a Describe answered before the Bind is sent) and could not be pipelined.
    // PGlite's session ignores the name (ours prepares every statement by its text).
    const prepared = session.prepareQuery<PreparedQueryConfig & { execute: R }>(query, fields, PREPARED, arrayMode, mapper as never, meta, cacheConfig);
    if (this.captured.joinsNotNullableMap !== undefined) (prepared as unknown as { joinsNotNullableMap: unknown }).joinsNotNullableMap = this.captured.joinsNotNullableMap;
    return prepared.execute(values);
  }

  /** The rendered SQL text (for tests and EXPLAIN). */
  get text(): string {
    return this.captured.args[0].sql;
  }
}
