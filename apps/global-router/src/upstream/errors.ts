import { s3Error, type AppError } from "@s3gw/core";

const CLIENT_BODY_ERRORS = new Set(["UND_ERR_REQ_CONTENT_LENGTH_MISMATCH"]);

function errorCode(err: unknown): string | undefined {
  if (err instanceof AggregateError) return errorCode(err.errors[0]);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Maps a failure to reach or hear from a region before any response byte was sent.
 * Whatever went wrong upstream, the client learns only that its region is unavailable.
 */
export function upstreamFailure(err: unknown, regionId: string): AppError {
  const code = errorCode(err);
  if (code && CLIENT_BODY_ERRORS.has(code)) return s3Error("IncompleteBody", undefined, { cause: err });
  return s3Error("ServiceUnavailable", `Region ${regionId} is temporarily unavailable`, {
    cause: err,
    headers: { "retry-after": "1" },
  });
}

export { errorCode };

/** The connection was never established: the gateway cannot have seen a byte of the request. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN"]);
/** The socket broke before any answer: the request may have reached the gateway. */
const RESET_ERRORS = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

/**
 * Whether a request that failed before any answer may be sent once more, to another gateway
 * of the region: never when any of its body was read from the client (it cannot be replayed,
 * and must not be); after a refused connection always; after a reset only a GET or HEAD.
 */
export function mayRetryElsewhere(err: unknown, method: string, bodyPulled: boolean): boolean {
  if (bodyPulled) return false;
  const code = errorCode(err);
  if (code === undefined) return false;
  if (CONNECT_ERRORS.has(code)) return true;
  return RESET_ERRORS.has(code) && (method === "GET" || method === "HEAD");
}
