import { AppError, s3Error } from "../errors.ts";
import type { AuthKind, IncomingS3Request } from "./types.ts";

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** S3 caps presigned URLs at seven days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const HEX64 = /^[0-9a-f]{64}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** What the client claims, before any cryptography. */
export interface SigV4Claim {
  kind: AuthKind;
  accessKeyId: string;
  scopeDate: string;
  region: string;
  amzDate: string;
  signingDate: Date;
  signedHeaders: string[];
  signature: string;
  expiresSeconds?: number;
}

/** Header authentication: AWS4-HMAC-SHA256 Credential=.../scope, SignedHeaders=a;b, Signature=hex */
export function parseAuthorizationHeader(value: string): Omit<SigV4Claim, "amzDate" | "signingDate" | "kind"> {
  const bad = (why: string) => s3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; ${why}.`);
  const space = value.indexOf(" ");
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) throw unsupportedAlgorithm(algorithm);
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw bad(`the component "${part.trim()}" is not of the form name=value`);
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw bad("it must carry Credential, SignedHeaders and Signature");
  }
  if (!HEX64.test(signature)) throw bad("the signature must be 64 lower-case hex digits");
  return { ...parseCredential(credential, bad), signedHeaders: parseSignedHeaders(signedHeaders, bad), signature };
}

function unsupportedAlgorithm(algorithm: string) {
  return s3Error(
    "InvalidRequest",
    `The authorization mechanism you have provided (${algorithm || "none"}) is not supported. Please use ${ALGORITHM}.`,
  );
}

function parseCredential(credential: string, bad: (why: string) => Error) {
  const parts = credential.split("/");
  // Access key ids never contain "/", the scope is always the last four parts.
  if (parts.length !== 5) throw bad(`the credential "${credential}" must be <key>/<date>/<region>/s3/aws4_request`);
  const [accessKeyId, scopeDate, region, service, terminator] = parts as [string, string, string, string, string];
  if (!accessKeyId || !/^\d{8}$/.test(scopeDate) || !region) throw bad(`the credential "${credential}" is malformed`);
  if (service !== "s3") throw bad(`the credential names the service "${service}", expected "s3"`);
  if (terminator !== "aws4_request") throw bad(`the credential must end with aws4_request, not "${terminator}"`);
  return { accessKeyId, scopeDate, region };
}

function parseSignedHeaders(list: string, bad: (why: string) => Error): string[] {
  const names = list.split(";");
  if (names.some((n) => n === "" || n !== n.toLowerCase())) throw bad("SignedHeaders must be lower-case names separated by ';'");
  if (!names.includes("host")) throw bad("the host header must be signed");
  return names;
}

export function parseAmzDate(value: string | undefined, bad: (why: string) => Error): Date {
  const m = value === undefined ? null : AMZ_DATE.exec(value);
  if (!m) throw bad("X-Amz-Date must be of the form YYYYMMDDTHHMMSSZ");
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  // Date accepts 24:00 and rolls over; the round trip rejects anything that is not a real instant.
  if (Number.isNaN(date.getTime()) || date.toISOString().replace(/[-:]|\.\d{3}/g, "") !== value) {
    throw bad("X-Amz-Date is not a valid date");
  }
  return date;
}

/** Query parameters as received: percent-decoded, a valueless `?uploads` becomes "", repeated names keep all values. */
/**
 * No S3 operation takes more than a dozen query parameters. Canonicalising thousands costs
 * seconds of CPU before the signature can even be refused, and needs only a key id: refused.
 */
export const MAX_QUERY_PARAMETERS = 100;

export function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  if (rawQuery === "") return query;
  const pairs = rawQuery.split("&");
  if (pairs.length > MAX_QUERY_PARAMETERS) throw s3Error("InvalidArgument", `A request may carry at most ${MAX_QUERY_PARAMETERS} query parameters.`);
  for (const pair of pairs) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1));
    const prev = query[key];
    if (prev === undefined) query[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else query[key] = [prev, value];
  }
  return query;
}

/** S3 signs each path segment encoded exactly once with the RFC 3986 unreserved set, whatever the client put on the wire. */
export function canonicalPath(rawPath: string): string {
  return rawPath.split("/").map((segment) => escapeUri(decode(segment))).join("/");
}

/** The same escaping smithy applies to query keys and values. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  // Nothing to decode (most keys and values): decodeURIComponent would return it unchanged,
  // and costs a router or region a few microseconds per query parameter.
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw s3Error("InvalidURI", `Couldn't parse the specified URI: bad percent-encoding in "${value}".`);
  }
}

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * X-Amz-Expires as AWS checks it: a number of seconds (else 400), at most a week. A negative
 * one has expired before it was signed, and one beyond a week is refused: both are 403s on
 * AWS (the conformance suite's presigned-URL tests expect exactly that). Zero is well-formed
 * and already expired (see checkTime).
 */
function checkExpires(expires: string, bad: (why: string) => Error): void {
  if (/^-\d+$/.test(expires)) throw s3Error("AccessDenied", `Request has expired (X-Amz-Expires: ${expires.slice(0, 20)}).`);
  if (!/^\d+$/.test(expires)) throw bad("X-Amz-Expires should be a number");
  if (Number(expires) > MAX_PRESIGN_SECONDS) {
    throw new AppError("AuthorizationQueryParametersError", 403, `X-Amz-Expires must be less than a week (in seconds) that is; ${MAX_PRESIGN_SECONDS} seconds.`);
  }
}

/** Query-string authentication (presigned URLs). */
export function parsePresignedQuery(query: Record<string, string | string[]>): SigV4Claim {
  const bad = (why: string) => s3Error("AuthorizationQueryParametersError", `${why}.`);
  const algorithm = single(query["X-Amz-Algorithm"]) ?? "";
  if (algorithm !== ALGORITHM) throw unsupportedAlgorithm(algorithm);
  const credential = single(query["X-Amz-Credential"]);
  const signedHeaders = single(query["X-Amz-SignedHeaders"]);
  const signature = single(query["X-Amz-Signature"]);
  const expires = single(query["X-Amz-Expires"]);
  const amzDate = single(query["X-Amz-Date"]);
  if (credential === undefined || signedHeaders === undefined || signature === undefined || expires === undefined || amzDate === undefined) {
    throw bad("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters");
  }
  if (!HEX64.test(signature)) throw bad("X-Amz-Signature must be 64 lower-case hex digits");
  checkExpires(expires, bad);
  const scope = parseCredential(credential, (why) => bad(`Error parsing the X-Amz-Credential parameter; ${why}`));
  const signingDate = parseAmzDate(amzDate, bad);
  if (amzDate.slice(0, 8) !== scope.scopeDate) throw bad("Invalid credential date. Date is not the same as X-Amz-Date");
  return {
    kind: "presigned", ...scope, amzDate, signingDate, signature,
    signedHeaders: parseSignedHeaders(signedHeaders, bad), expiresSeconds: Number(expires),
  };
}

/** Header or query claim, or undefined for an anonymous request. */
export function parseClaim(req: Pick<IncomingS3Request, "headers" | "rawQuery">): SigV4Claim | undefined {
  const authorization = req.headers["authorization"];
  const query = parseQuery(req.rawQuery);
  const presigned = query["X-Amz-Algorithm"] !== undefined || query["X-Amz-Signature"] !== undefined;
  if (authorization !== undefined && presigned) {
    throw s3Error("InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.");
  }
  if (presigned) return parsePresignedQuery(query);
  if (query["AWSAccessKeyId"] !== undefined && query["Signature"] !== undefined) throw unsupportedAlgorithm("AWS (signature version 2)");
  if (authorization === undefined) return undefined;
  // Present but blank is neither anonymous (a public bucket's reads) nor any credential: refused,
  // with AWS's answer to it, so no layer falls back to another way of identifying the caller.
  if (authorization.trim() === "") throw s3Error("AccessDenied", "The Authorization header is empty: sign the request with AWS Signature Version 4, or send none.");
  const parsed = parseAuthorizationHeader(authorization.trim());
  const amzDate = req.headers["x-amz-date"];
  if (amzDate === undefined) throw s3Error("AccessDenied", "AWS authentication requires a valid x-amz-date header.");
  const bad = (why: string) => s3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; ${why}.`);
  const signingDate = parseAmzDate(amzDate, bad);
  if (!parsed.signedHeaders.includes("x-amz-date")) throw bad("the x-amz-date header must be signed");
  if (amzDate.slice(0, 8) !== parsed.scopeDate) throw bad("Invalid credential date. Date is not the same as X-Amz-Date");
  return { kind: "header", ...parsed, amzDate, signingDate };
}
