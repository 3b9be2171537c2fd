import { s3Error } from "../errors.ts";
import { findUnstorableText } from "../text.ts";
import { isValidActionPattern } from "./actions.ts";
import { validateConditions, type ConditionBlock } from "./conditions.ts";
import { hasWildcard, wildcardRegExp } from "./wildcard.ts";

/** AWS's limit for a bucket policy. */
export const MAX_POLICY_BYTES = 20 * 1024;
const MAX_STATEMENTS = 100;
const MAX_LIST = 100;

export type StringList = string | string[];
export type PolicyPrincipal = "*" | { AWS?: StringList; CanonicalUser?: StringList };

/** A policy statement that passed validation, in AWS's own field names (so it is answered as written). */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: PolicyPrincipal;
  NotPrincipal?: PolicyPrincipal;
  Action?: StringList;
  NotAction?: StringList;
  Resource?: StringList;
  NotResource?: StringList;
  Condition?: ConditionBlock;
}

export interface BucketPolicyDocument {
  Version?: "2012-10-17" | "2008-10-17";
  Id?: string;
  Statement: PolicyStatement[];
}

/** Whose bucket the policy is for: every principal must be this customer, every resource this bucket. */
export interface PolicyScope {
  customerId: string;
  bucket: string;
}

const malformed = (message: string) => s3Error("MalformedPolicy", message);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** Printable text without control characters: a Sid or an ARN, never something a log or a terminal interprets. */
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

function list(value: unknown, field: string): string[] {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0 || items.length > MAX_LIST) throw malformed(`${field} needs 1 to ${MAX_LIST} entries`);
  for (const item of items) {
    if (typeof item !== "string" || item.length === 0 || item.length > 2048 || !PRINTABLE.test(item)) throw malformed(`${field} entries must be non-empty strings`);
  }
  return items as string[];
}

/** `<customer-id>`, `arn:aws:iam::<customer-id>:root` or `arn:aws:iam::<customer-id>:user/<access-key-id>`. */
export function principalTarget(entry: string, scope: PolicyScope): { kind: "any" } | { kind: "account" } | { kind: "key"; accessKeyId: string } | undefined {
  if (entry === "*") return { kind: "any" };
  if (entry === scope.customerId || entry === `arn:aws:iam::${scope.customerId}:root`) return { kind: "account" };
  const prefix = `arn:aws:iam::${scope.customerId}:user/`;
  if (entry.startsWith(prefix) && /^[A-Z0-9]{16,128}$/.test(entry.slice(prefix.length))) return { kind: "key", accessKeyId: entry.slice(prefix.length) };
  return undefined;
}

function principal(value: unknown, field: string, scope: PolicyScope): PolicyPrincipal {
  const invalid = () => malformed("Invalid principal in policy");
  if (value === "*") {
    if (field === "NotPrincipal") throw invalid();
    return "*";
  }
  if (!isRecord(value) || Object.keys(value).length === 0) throw invalid();
  const out: { AWS?: StringList; CanonicalUser?: StringList } = {};
  for (const [type, entries] of Object.entries(value)) {
    if (type !== "AWS" && type !== "CanonicalUser") throw invalid();
    const names = list(entries, `${field}.${type}`);
    for (const name of names) {
      const target = type === "AWS" ? principalTarget(name, scope) : name === scope.customerId ? { kind: "account" } : undefined;
      if (!target || (target.kind === "any" && field === "NotPrincipal")) throw invalid();
    }
    out[type] = entries as StringList;
  }
  return out;
}

const S3_ARN = "arn:aws:s3:::";

/**
 * `arn:aws:s3:::<bucket>` or `arn:aws:s3:::<bucket>/<key pattern>`, where the bucket part is this
 * bucket, or a wildcard that matches it (`arn:aws:s3:::*`, as AWS accepts): the pattern is only
 * ever matched against this bucket's own ARNs, so it cannot reach another bucket, let alone
 * another customer's. A bucket part that does not match this bucket names some other resource.
 */
function resources(value: unknown, field: string, scope: PolicyScope): StringList {
  for (const r of list(value, field)) {
    const rest = r.startsWith(S3_ARN) ? r.slice(S3_ARN.length) : undefined;
    const bucketPart = rest?.split("/", 1)[0];
    const thisBucket = bucketPart === scope.bucket || (bucketPart !== undefined && hasWildcard(bucketPart) && wildcardRegExp(bucketPart).test(scope.bucket));
    if (!thisBucket) throw malformed("Policy has invalid resource");
    // IAM would substitute ${aws:username} and the like; read literally it would mean something else.
    if (r.includes("${")) throw malformed("Policy variables are not supported in resources");
  }
  return value as StringList;
}

function actions(value: unknown, field: string): StringList {
  for (const a of list(value, field)) if (!isValidActionPattern(a)) throw malformed("Policy has invalid action");
  return value as StringList;
}

const STATEMENT_FIELDS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

function exactlyOne(st: Record<string, unknown>, a: string, b: string): string {
  const has = [a, b].filter((f) => st[f] !== undefined);
  if (has.length !== 1) throw malformed(has.length === 0 ? `Missing required field ${a}` : `A statement may have ${a} or ${b}, not both`);
  return has[0]!;
}

function statement(raw: unknown, scope: PolicyScope): PolicyStatement {
  if (!isRecord(raw)) throw malformed("Each Statement must be an object");
  for (const field of Object.keys(raw)) if (!STATEMENT_FIELDS.has(field)) throw malformed(`Unknown field ${field.slice(0, 64)}`);
  const out: PolicyStatement = { Effect: "Allow" };
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== "string" || raw.Sid.length > 256 || !PRINTABLE.test(raw.Sid)) throw malformed("Sid must be a string of at most 256 characters");
    out.Sid = raw.Sid;
  }
  if (raw.Effect !== "Allow" && raw.Effect !== "Deny") throw malformed("Invalid effect: Effect must be Allow or Deny");
  out.Effect = raw.Effect;
  const p = exactlyOne(raw, "Principal", "NotPrincipal") as "Principal" | "NotPrincipal";
  out[p] = principal(raw[p], p, scope);
  const a = exactlyOne(raw, "Action", "NotAction") as "Action" | "NotAction";
  out[a] = actions(raw[a], a);
  const r = exactlyOne(raw, "Resource", "NotResource") as "Resource" | "NotResource";
  out[r] = resources(raw[r], r, scope);
  if (raw.Condition !== undefined) {
    const c = validateConditions(raw.Condition);
    if (!c.ok) throw malformed(c.reason);
    out.Condition = c.block;
  }
  return out;
}

/**
 * A bucket policy document, validated for this customer's bucket: known fields only, principals
 * of this customer only, resources of this bucket only, known actions and conditions only.
 * Also used on every stored document before it is evaluated (defence against a bad row).
 */
export function validateBucketPolicy(raw: unknown, scope: PolicyScope): BucketPolicyDocument {
  if (!isRecord(raw)) throw malformed("Policies must be a JSON object");
  // NUL or a lone surrogate (from a \u escape) could not be stored; nesting is bounded too.
  const unstorable = findUnstorableText(raw);
  if (unstorable) throw malformed(`The policy ${unstorable}`);
  for (const field of Object.keys(raw)) if (!["Version", "Id", "Statement"].includes(field)) throw malformed(`Unknown field ${field.slice(0, 64)}`);
  const out: BucketPolicyDocument = { Statement: [] };
  if (raw.Version !== undefined) {
    if (raw.Version !== "2012-10-17" && raw.Version !== "2008-10-17") throw malformed("The policy must contain a valid version string");
    out.Version = raw.Version;
  }
  if (raw.Id !== undefined) {
    if (typeof raw.Id !== "string" || raw.Id.length > 256 || !PRINTABLE.test(raw.Id)) throw malformed("Id must be a string of at most 256 characters");
    out.Id = raw.Id;
  }
  if (raw.Statement === undefined) throw malformed("Missing required field Statement");
  const statements = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  if (statements.length === 0 || statements.length > MAX_STATEMENTS) throw malformed(`A policy has 1 to ${MAX_STATEMENTS} statements`);
  out.Statement = statements.map((s) => statement(s, scope));
  return out;
}

/** The text of a PutBucketPolicy body: at most 20 KiB of JSON, then validated. */
export function parseBucketPolicy(text: string, scope: PolicyScope): BucketPolicyDocument {
  if (Buffer.byteLength(text, "utf8") > MAX_POLICY_BYTES) throw malformed(`Policies must be at most ${MAX_POLICY_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw malformed("This policy contains invalid Json");
  }
  return validateBucketPolicy(raw, scope);
}

/** The access key ids the policy names as principals (they must be keys of the customer). */
export function policyAccessKeyIds(doc: BucketPolicyDocument, scope: PolicyScope): string[] {
  const ids = new Set<string>();
  for (const st of doc.Statement) {
    const p = st.Principal ?? st.NotPrincipal;
    if (p === undefined || p === "*" || p.AWS === undefined) continue;
    for (const name of [p.AWS].flat()) {
      const t = principalTarget(name, scope);
      if (t?.kind === "key") ids.add(t.accessKeyId);
    }
  }
  return [...ids];
}
