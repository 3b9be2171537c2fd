/**
 * The database could not be reached (refused, reset, timed out, shutting down, or declared
 * down by the availability probe). Nothing about the request was wrong: callers answer 503.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = "DATABASE_UNAVAILABLE";
  constructor(reason: string, opts: { cause?: unknown } = {}) {
    super(`database unavailable: ${reason}`, opts);
    this.name = "DatabaseUnavailableError";
  }
}

// postgres.js connection failures, and the socket errors underneath them.
const CONNECTION_CODES = new Set([
  "DATABASE_UNAVAILABLE", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECTION_ENDED",
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENOTFOUND", "EAI_AGAIN",
]);

/**
 * SQLSTATEs that say the server, not the statement, is the problem: class 08 (connection
 * exception), 53 (insufficient resources: disk full, out of memory, too many connections),
 * 57P01-57P05 (admin/crash shutdown, cannot connect now, idle session timeout), and 57014
 * (statement cancelled: a statement timeout, or the probe giving up on a hung server).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || /^53[0-9A-Z]{3}$/.test(code) || /^57P0[1-5]$/.test(code) || code === "57014";
}

/** Whether an error (looking through drizzle's and our own wrapping) means the database is unavailable. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown; errors?: unknown } | undefined, depth = 0; e && typeof e === "object" && depth < 6; depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    if (typeof e.code === "string" && (CONNECTION_CODES.has(e.code) || isUnavailableSqlState(e.code))) return true;
    // A connect to a name with several addresses fails with an AggregateError of per-address errors.
    if (Array.isArray(e.errors) && e.errors.length && e.errors.every((x) => isDatabaseUnavailable(x))) return true;
    e = e.cause as typeof e;
  }
  return false;
}
