import { invalidValue, matcher, operatorOf, type ConditionValue, type Kind } from "./condition-operators.ts";

/** What a request offers a policy's conditions; an undefined value is a key absent from the request. */
export interface ConditionContext {
  sourceIp: string | undefined;
  secureTransport: boolean;
  prefix: string | undefined;
  serverSideEncryption: string | undefined;
  sseCustomerAlgorithm: string | undefined;
  sseKmsKeyId: string | undefined;
  /** The request's x-amz-acl (a canned ACL; only owner-only ones are ever accepted). */
  cannedAcl: string | undefined;
  /** The request's x-amz-copy-source, x-amz-metadata-directive and x-amz-grant-* headers, as sent. */
  copySource?: string | undefined;
  metadataDirective?: string | undefined;
  grantRead?: string | undefined;
  grantWrite?: string | undefined;
  grantReadAcp?: string | undefined;
  grantWriteAcp?: string | undefined;
  grantFullControl?: string | undefined;
  /** The tags the request sets (x-amz-tagging), for s3:RequestObjectTag/<key>. */
  requestObjectTags?: Readonly<Record<string, string>> | undefined;
  /** The addressed object's current tags, for s3:ExistingObjectTag/<key>; looked up only when the policy uses that key. */
  existingObjectTags?: Readonly<Record<string, string>> | undefined;
  /** The Referer and User-Agent headers (aws:Referer, aws:UserAgent): the client's word, as in AWS. */
  referer?: string | undefined;
  userAgent?: string | undefined;
  /** A listing's delimiter and max-keys parameters (s3:delimiter, s3:max-keys). */
  delimiter?: string | undefined;
  maxKeys?: string | undefined;
  /** When the request is judged (aws:CurrentTime, aws:EpochTime). */
  requestTime?: Date | undefined;
  /** Milliseconds since the signature's date (s3:signatureAge); absent without a signature. */
  signatureAge?: number | undefined;
  /** REST-HEADER, REST-QUERY-STRING or POST (s3:authType), and AWS4-HMAC-SHA256 (s3:signatureversion). */
  authType?: string | undefined;
  signatureVersion?: string | undefined;
  /** arn:aws:iam::<customer>:user/<access-key-id>, or the customer's :root (aws:PrincipalArn). */
  principalArn?: string | undefined;
}

type Getter = (ctx: ConditionContext) => ConditionValue | undefined;
type Field = Exclude<keyof ConditionContext, "requestObjectTags" | "existingObjectTags">;
interface KeySpec { get: Getter; kinds: readonly Kind[] }

const field = (f: Field, ...kinds: Kind[]): KeySpec => ({ get: ((ctx) => ctx[f]) as Getter, kinds });

/** The condition keys this gateway evaluates (names are case-insensitive, as in IAM), and what their values are. */
// Maps, not object literals: a key like "constructor" or "__proto__" must be unknown, not inherited.
const KEYS = new Map<string, KeySpec>(Object.entries({
  "aws:sourceip": field("sourceIp", "ip"),
  "aws:securetransport": field("secureTransport", "bool"),
  "s3:prefix": field("prefix", "string"),
  "s3:x-amz-server-side-encryption": field("serverSideEncryption", "string"),
  "s3:x-amz-server-side-encryption-customer-algorithm": field("sseCustomerAlgorithm", "string"),
  "s3:x-amz-server-side-encryption-aws-kms-key-id": field("sseKmsKeyId", "string"),
  "s3:x-amz-acl": field("cannedAcl", "string"),
  "s3:x-amz-copy-source": field("copySource", "string"),
  "s3:x-amz-metadata-directive": field("metadataDirective", "string"),
  "s3:x-amz-grant-read": field("grantRead", "string"),
  "s3:x-amz-grant-write": field("grantWrite", "string"),
  "s3:x-amz-grant-read-acp": field("grantReadAcp", "string"),
  "s3:x-amz-grant-write-acp": field("grantWriteAcp", "string"),
  "s3:x-amz-grant-full-control": field("grantFullControl", "string"),
  "aws:referer": field("referer", "string"),
  "aws:useragent": field("userAgent", "string"),
  "s3:delimiter": field("delimiter", "string"),
  "s3:max-keys": field("maxKeys", "numeric"),
  "aws:currenttime": field("requestTime", "date"),
  // IAM compares aws:EpochTime with date and numeric operators alike.
  "aws:epochtime": field("requestTime", "date", "numeric"),
  "s3:signatureage": field("signatureAge", "numeric"),
  "s3:authtype": field("authType", "string"),
  "s3:signatureversion": field("signatureVersion", "string"),
  "aws:principalarn": field("principalArn", "arn", "string"),
}));

/** Tag-valued keys: the prefix is case-insensitive, the tag key after the slash is literal (as tag keys are). */
const TAG_KEYS: ReadonlyArray<readonly [string, "requestObjectTags" | "existingObjectTags"]> = [
  ["s3:requestobjecttag/", "requestObjectTags"],
  ["s3:existingobjecttag/", "existingObjectTags"],
];

function keySpec(name: string): KeySpec | undefined {
  const lower = name.toLowerCase();
  for (const [prefix, f] of TAG_KEYS) {
    if (!lower.startsWith(prefix) || name.length === prefix.length || name.length > prefix.length + 128) continue;
    const tag = name.slice(prefix.length);
    // Own properties only: a tag named "__proto__" or "constructor" is just a tag key.
    return { get: (ctx) => { const tags = ctx[f]; return tags && Object.hasOwn(tags, tag) ? tags[tag] : undefined; }, kinds: ["string"] };
  }
  return KEYS.get(lower);
}

/** Whether a validated condition block names s3:ExistingObjectTag/<key> (the only key that costs a lookup). */
export function usesExistingObjectTags(block: ConditionBlock): boolean {
  return Object.values(block).some((entries) => Object.keys(entries).some((k) => k.toLowerCase().startsWith("s3:existingobjecttag/")));
}

const MAX_VALUES = 100;

/** Operator -> key -> value(s), a single value kept single so the document is answered as written. */
export type ConditionBlock = Record<string, Record<string, string | string[]>>;
export type CompiledCondition = (ctx: ConditionContext) => boolean;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A statement's Condition in a normalised shape (every value list an array of strings), or
 * the reason it is refused: an unknown operator or key, an operator that does not fit its key,
 * a value that is not a string/boolean/number or an invalid network.
 */
export function validateConditions(raw: unknown): { ok: true; block: ConditionBlock } | { ok: false; reason: string } {
  if (!isRecord(raw)) return { ok: false, reason: "Condition must be an object" };
  // Null prototypes: the names come from the document and are stored as own keys only.
  const block: ConditionBlock = Object.create(null) as ConditionBlock;
  for (const [operator, entries] of Object.entries(raw)) {
    const op = operatorOf(operator);
    if (!op) return { ok: false, reason: `Invalid Condition type : ${operator.slice(0, 64)}` };
    if (!isRecord(entries) || Object.keys(entries).length === 0) return { ok: false, reason: `Condition ${operator} must map condition keys to values` };
    const keys = Object.create(null) as Record<string, string | string[]>;
    for (const [key, value] of Object.entries(entries)) {
      const spec = keySpec(key);
      if (!spec) return { ok: false, reason: `Policy has an invalid condition key: ${key.slice(0, 64)}` };
      if (op.kind !== "null" && !spec.kinds.includes(op.kind)) return { ok: false, reason: `Condition operator ${operator} cannot be used with key ${key}` };
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0 || list.length > MAX_VALUES) return { ok: false, reason: `Condition ${operator} ${key} needs 1 to ${MAX_VALUES} values` };
      const values: string[] = [];
      for (const v of list) {
        if (typeof v !== "string" && typeof v !== "boolean" && typeof v !== "number") return { ok: false, reason: `Condition ${operator} ${key} has a value that is not a string` };
        const text = String(v);
        if (text.length > 1024) return { ok: false, reason: `Condition ${operator} ${key} has a value over 1024 characters` };
        const bad = invalidValue(op.kind, text);
        if (bad) return { ok: false, reason: `Condition ${operator} ${key} has ${bad}: ${text.slice(0, 64)}` };
        values.push(text);
      }
      keys[key] = Array.isArray(value) ? values : values[0]!;
    }
    block[operator] = keys;
  }
  return { ok: true, block };
}

/** One test per operator and key; a statement's conditions hold when all of them hold (AND), each value list is an OR. */
export function compileConditions(block: ConditionBlock): CompiledCondition {
  const tests: CompiledCondition[] = [];
  for (const [operator, entries] of Object.entries(block)) {
    const op = operatorOf(operator)!;
    for (const [key, values] of Object.entries(entries)) {
      const { get } = keySpec(key)!;
      const list = Array.isArray(values) ? values : [values];
      if (op.kind === "null") {
        const absent = new Set(list.map((v) => v.toLowerCase() === "true"));
        tests.push((ctx) => absent.has(get(ctx) === undefined));
        continue;
      }
      const matches = matcher(op, list);
      tests.push((ctx) => {
        const actual = get(ctx);
        if (actual === undefined) return op.negated || op.ifExists;
        const hit = matches(actual);
        return op.negated ? !hit : hit;
      });
    }
  }
  return (ctx) => tests.every((t) => t(ctx));
}
