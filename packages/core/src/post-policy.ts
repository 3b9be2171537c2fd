import { createHmac, timingSafeEqual } from "node:crypto";
import { s3Error } from "./errors.ts";

/**
 * The SigV4 POST policy of a browser form upload (S3's "POST Object"), checked as strictly as
 * S3 does: the signature over the base64 policy with the credential scope's signing key, the
 * expiration, every condition, and that every form field is covered by a condition.
 */

export type PostCondition =
  /** `field` is lower-cased, without the `$`. */
  | { kind: "eq" | "starts-with"; field: string; value: string; text: string }
  | { kind: "content-length-range"; min: number; max: number; text: string };

export interface PostPolicy {
  expiration: Date;
  conditions: PostCondition[];
}

/** Fields no condition needs to cover (S3's list); `x-ignore-*` are the client's own. */
const UNCOVERED = new Set(["x-amz-signature", "file", "policy"]);
const EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const MAX_CONDITIONS = 200;

const invalidPolicy = (why: string) => s3Error("InvalidPolicyDocument", `Invalid Policy: ${why}`);
const failed = (why: string) => s3Error("AccessDenied", `Invalid according to Policy: ${why}`);

function lengthBound(value: unknown): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d{1,15}$/.test(value)) return Number(value);
  throw invalidPolicy("Invalid content-length-range: the bounds must be non-negative integers.");
}

function fieldName(ref: unknown): string {
  if (typeof ref !== "string" || !ref.startsWith("$") || ref.length < 2) throw invalidPolicy(`Invalid condition field ${JSON.stringify(ref)}: it must name a form field as "$name".`);
  return ref.slice(1).toLowerCase();
}

function parseCondition(raw: unknown): PostCondition {
  const text = JSON.stringify(raw);
  if (Array.isArray(raw)) {
    const op = typeof raw[0] === "string" ? raw[0].toLowerCase() : undefined;
    if (raw.length !== 3) throw invalidPolicy(`Invalid condition ${text}: a condition list has three elements.`);
    if (op === "content-length-range") {
      const [min, max] = [lengthBound(raw[1]), lengthBound(raw[2])];
      if (min > max) throw invalidPolicy("Invalid content-length-range: the minimum exceeds the maximum.");
      return { kind: "content-length-range", min, max, text };
    }
    if (op !== "eq" && op !== "starts-with") throw invalidPolicy(`Invalid condition ${text}: unknown operation.`);
    if (typeof raw[2] !== "string") throw invalidPolicy(`Invalid condition ${text}: the value must be text.`);
    return { kind: op, field: fieldName(raw[1]), value: raw[2], text };
  }
  if (typeof raw === "object" && raw !== null) {
    const entries = Object.entries(raw);
    if (entries.length !== 1 || typeof entries[0]![1] !== "string") throw invalidPolicy(`Invalid condition ${text}: an exact-match condition is one "field": "value" pair.`);
    const [name, value] = entries[0]! as [string, string];
    return { kind: "eq", field: name.replace(/^\$/, "").toLowerCase(), value, text };
  }
  throw invalidPolicy(`Invalid condition ${text}.`);
}

/** The policy field's base64 JSON, decoded and validated (S3's keys are case-sensitive). */
export function decodePostPolicy(base64: string): PostPolicy {
  const compact = base64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) throw invalidPolicy("the policy is not base64.");
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(compact, "base64").toString("utf8"));
  } catch {
    throw invalidPolicy("the policy is not a JSON document.");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw invalidPolicy("the policy must be a JSON object.");
  const { expiration, conditions, ...rest } = doc as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalidPolicy(`unexpected policy key ${JSON.stringify(Object.keys(rest)[0])}.`);
  if (typeof expiration !== "string") throw invalidPolicy("the policy needs an expiration.");
  if (!EXPIRATION.test(expiration) || Number.isNaN(Date.parse(expiration))) throw invalidPolicy(`Invalid 'expiration' value: '${expiration}'.`);
  if (!Array.isArray(conditions)) throw invalidPolicy("the policy needs a conditions list.");
  if (conditions.length > MAX_CONDITIONS) throw invalidPolicy(`at most ${MAX_CONDITIONS} conditions.`);
  return { expiration: new Date(expiration), conditions: conditions.map(parseCondition) };
}

export interface PostCredential {
  accessKeyId: string;
  date: string;
  region: string;
}

/** x-amz-credential (`<key>/<yyyymmdd>/<region>/s3/aws4_request`), consistent with x-amz-date. */
export function parsePostCredential(credential: string, amzDate: string): PostCredential {
  const parts = credential.split("/");
  const [accessKeyId, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !/^\d{8}$/.test(date!) || !region || service !== "s3" || terminator !== "aws4_request") {
    throw s3Error("InvalidArgument", `Invalid x-amz-credential "${credential}": expected <key>/<date>/<region>/s3/aws4_request`);
  }
  if (!/^\d{8}T\d{6}Z$/.test(amzDate)) throw s3Error("InvalidArgument", "Invalid x-amz-date: expected YYYYMMDDTHHMMSSZ");
  if (amzDate.slice(0, 8) !== date) throw s3Error("InvalidArgument", "Invalid credential date: it is not the date of x-amz-date");
  return { accessKeyId, date: date!, region };
}

/** hex HMAC-SHA256 of the base64 policy with the scope's SigV4 signing key. */
export function postPolicySignature(secretAccessKey: string, scope: Pick<PostCredential, "date" | "region">, policyBase64: string): string {
  let key: Buffer = createHmac("sha256", `AWS4${secretAccessKey}`).update(scope.date).digest();
  for (const part of [scope.region, "s3", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return createHmac("sha256", key).update(policyBase64).digest("hex");
}

export function samePostSignature(expectedHex: string, given: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(given, "hex"));
}

/**
 * Checks the form against the (signature-verified) policy. `fields` are the form's non-file
 * fields by lower-cased name, with `key` already `${filename}`-substituted and `bucket` the
 * addressed bucket. Returns the allowed file size; the caller enforces it on the streamed bytes.
 */
export function checkPostPolicy(policy: PostPolicy, fields: ReadonlyMap<string, string>, now: Date): { minBytes: number; maxBytes: number } {
  if (now.getTime() > policy.expiration.getTime()) throw failed("Policy expired.");
  const covered = new Set<string>();
  let minBytes = 0;
  let maxBytes = Number.MAX_SAFE_INTEGER;
  for (const c of policy.conditions) {
    if (c.kind === "content-length-range") {
      minBytes = Math.max(minBytes, c.min);
      maxBytes = Math.min(maxBytes, c.max);
      continue;
    }
    covered.add(c.field);
    const value = fields.get(c.field);
    const ok = value !== undefined && (c.kind === "eq" ? value === c.value : value.startsWith(c.value));
    if (!ok) throw failed(`Policy Condition failed: ${c.text}`);
  }
  const extra = [...fields.keys()].filter((f) => f !== "bucket" && !UNCOVERED.has(f) && !f.startsWith("x-ignore-") && !covered.has(f));
  if (extra.length > 0) throw failed(`Extra input fields: ${extra.join(", ")}`);
  return { minBytes, maxBytes };
}
