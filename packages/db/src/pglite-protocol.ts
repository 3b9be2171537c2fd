// The messages between the embedded database's thread (pglite-thread.ts) and its client
// (pglite-thread-client.ts). Everything crossing is structured-cloned, so only data goes over:
// result parsers are functions, and the only ones drizzle passes return the column's text
// unchanged, so a query names the type OIDs to leave as text (`rawTypes`) instead.

export interface ThreadStart {
  dataDir: string;
  startParams: string[];
  relaxedDurability: boolean;
  /** Create the database (initdb), close it and end: see PgliteThreadClient.open. */
  initOnly?: boolean;
}

export type RowMode = "array" | "object";

export type Request =
  | { op: "query"; id: number; tx?: number; sql: string; params: unknown[]; rowMode?: RowMode; rawTypes?: number[] }
  | { op: "exec"; id: number; tx?: number; sql: string }
  | { op: "begin"; id: number }
  | { op: "end"; id: number; tx: number; commit: boolean }
  | { op: "listen"; id: number; channel: string }
  | { op: "unlisten"; id: number; channel: string }
  | { op: "close"; id: number };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own data fields (SQLSTATE `code`, `detail`, `constraint`, ...). */
  fields: Record<string, unknown>;
}

export type Reply =
  | { kind: "ready" }
  | { kind: "startFailed"; error: SerializedError }
  | { kind: "ok"; id: number; value: unknown }
  | { kind: "failed"; id: number; error: SerializedError }
  | { kind: "notify"; channel: string; payload: string };

// Fields that are not data (functions, the statement's options) or that would copy large
// values back for nothing (the parameters the caller still has).
const NOT_CLONED = new Set(["queryOptions", "params", "name", "message", "stack"]);

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (NOT_CLONED.has(key) || value === undefined || typeof value === "function") continue;
    fields[key] = typeof value === "object" && value !== null ? safeClone(value) : value;
  }
  if (err.cause !== undefined) fields.cause = err.cause instanceof Error ? serializeError(err.cause).message : safeClone(err.cause);
  return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), fields };
}

function safeClone(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/** The same error on this side of the thread boundary: message, name, SQLSTATE and the rest. */
export function deserializeError(e: SerializedError): Error {
  const err = new Error(e.message) as Error & Record<string, unknown>;
  Object.assign(err, e.fields);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * A copy of `value` whose binary parts own exactly their bytes, plus those buffers for the
 * transfer list: cloning a view clones its whole ArrayBuffer (a pooled Buffer slice would
 * drag its 8 KiB pool, a result row the engine's receive buffer).
 */
export function detachBinary(values: unknown[], transfer: ArrayBuffer[]): unknown[] {
  return values.map((v) => {
    if (ArrayBuffer.isView(v)) {
      const copy = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
      transfer.push(copy.buffer);
      return copy;
    }
    if (Array.isArray(v)) return detachBinary(v, transfer);
    return v;
  });
}
