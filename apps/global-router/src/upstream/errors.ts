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
