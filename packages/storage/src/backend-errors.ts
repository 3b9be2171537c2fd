import { isAppError, s3Error } from "@s3gw/core";

/** Why an S3-compatible backend refused or failed a request, in terms an operator can act on. */
export type BackendErrorClass =
  | "invalid_credentials"
  | "wrong_region"
  | "tls_error"
  | "missing_permission"
  | "bucket_policy_conflict"
  | "unreachable_endpoint"
  | "no_such_bucket"
  | "unknown";

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const UNREACHABLE = new Set([
  "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "ECONNABORTED", "EHOSTUNREACH",
  "ENETUNREACH", "EHOSTDOWN", "EPIPE", "TimeoutError", "AbortError", "RequestTimeout", "UND_ERR_CONNECT_TIMEOUT",
]);
const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|EPROTO$|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(GET_ISSUER_CERT|GET_ISSUER_CERT_LOCALLY|VERIFY_LEAF_SIGNATURE)$|HOSTNAME_MISMATCH$)/;
const CREDENTIALS = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidSecurity"]);
const REGION = new Set(["PermanentRedirect", "IllegalLocationConstraintException", "InvalidRegion", "MovedPermanently", "TemporaryRedirect"]);
const BUCKET = new Set(["NoSuchBucket", "InvalidBucketName"]);

/**
 * Classifies a failure of an S3 SDK call (or of the provider wrapping one: an AppError's
 * cause is followed). Node network errors are recognised by code, backend answers by their
 * S3 error code and HTTP status.
 */
export function classifyBackendError(err: unknown): BackendErrorClass {
  const e = rootCause(err);
  const codes = codesOf(e);
  const status = e.$metadata?.httpStatusCode;
  const message = typeof e.message === "string" ? e.message : "";
  const has = (set: Set<string>) => codes.some((c) => set.has(c));

  if (codes.some((c) => TLS_CODE.test(c)) || (status === undefined && /self[- ]signed certificate|certificate has expired|unable to verify the first certificate|wrong version number/i.test(message))) return "tls_error";
  if (has(UNREACHABLE)) return "unreachable_endpoint";
  if (has(REGION) || status === 301 || status === 307 || (codes.includes("AuthorizationHeaderMalformed") && /region/i.test(message))) return "wrong_region";
  if (has(CREDENTIALS)) return "invalid_credentials";
  if (has(BUCKET) || (status === 404 && codes.includes("NotFound"))) return "no_such_bucket";
  if (codes.includes("RequestTimeTooSkewed")) return "unknown";
  if (codes.includes("AccessDenied") || status === 403) {
    // AWS says "explicit deny" when a policy forbids what the identity's permissions allow.
    return /explicit deny|bucket policy/i.test(message) ? "bucket_policy_conflict" : "missing_permission";
  }
  return "unknown";
}

/**
 * What a failure during a request says about the bucket as a whole: `unavailable` (cannot be
 * reached, or is not where it was configured), `auth` (it refuses our credentials), or
 * `other` (one request went wrong: a missing key, a bad range, our own bug), which says
 * nothing about the next request. Only the first two make a customer bucket unhealthy.
 */
export function backendFailureKind(err: unknown): "unavailable" | "auth" | "other" {
  if (!isBackendError(err) && !(isAppError(err) && isBackendError(err.cause))) return "other";
  const cls = classifyBackendError(err);
  if (cls === "invalid_credentials" || cls === "missing_permission" || cls === "bucket_policy_conflict") return "auth";
  if (cls === "unreachable_endpoint" || cls === "tls_error" || cls === "no_such_bucket" || cls === "wrong_region") return "unavailable";
  const status = rootCause(err).$metadata?.httpStatusCode;
  return status !== undefined && status >= 500 ? "unavailable" : "other";
}

/** Whether an error came from talking to the backend (its answer or the network), not from our own code. */
export function isBackendError(err: unknown): boolean {
  if (isAppError(err) || typeof err !== "object" || err === null) return false;
  const e = err as ErrorLike;
  return e.$metadata !== undefined || typeof e.code === "string" || e.name === "TimeoutError" || e.name === "AbortError";
}

/**
 * The client's answer to a backend failure. The backend is ours (or the customer's configured
 * bucket), so nothing it says is the client's fault: always 503, with the backend's code but
 * never its message (which may echo request details) in ours.
 */
export function backendFailure(err: unknown): unknown {
  if (!isBackendError(err)) return err;
  const cls = classifyBackendError(err);
  const refused = cls === "invalid_credentials" || cls === "missing_permission" || cls === "bucket_policy_conflict";
  const message = refused
    ? `storage backend refused the gateway's credentials (${shortReason(err)})`
    : `storage backend unavailable: ${shortReason(err)}`;
  return s3Error("ServiceUnavailable", message, { cause: err });
}

/** The backend's error code and HTTP status, or the network error's code: short, and free of anything secret. */
export function shortReason(err: unknown): string {
  const e = rootCause(err);
  const code = (codesOf(e)[0] ?? "Error").replace(/[^A-Za-z0-9_.:-]/g, "").slice(0, 64) || "Error";
  const status = e.$metadata?.httpStatusCode;
  return status ? `${code}, HTTP ${status}` : code;
}

function rootCause(err: unknown): ErrorLike {
  let e = (typeof err === "object" && err !== null ? err : {}) as ErrorLike;
  if (isAppError(err) && typeof err.cause === "object" && err.cause !== null) e = err.cause as ErrorLike;
  // Happy-eyeballs connects fail with an AggregateError of per-address errors.
  if (!codesOf(e).length && Array.isArray(e.errors) && typeof e.errors[0] === "object") e = e.errors[0] as ErrorLike;
  return e;
}

function codesOf(e: ErrorLike): string[] {
  const out: string[] = [];
  for (const c of [e.code, e.Code, e.name]) {
    if (typeof c === "string" && c !== "" && c !== "Error" && c !== "AggregateError" && !out.includes(c)) out.push(c);
  }
  // A network failure inside the SDK may arrive wrapped once.
  if (!out.length && typeof e.cause === "object" && e.cause !== null) return codesOf(e.cause as ErrorLike);
  return out;
}
