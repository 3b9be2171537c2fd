import { IpSet, parseCidr } from "./ip.ts";
import { wildcardRegExp } from "./wildcard.ts";

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
}

type Kind = "string" | "ip" | "bool";
/** `Null` tests whether a key is present at all, whatever its kind. */
type OperatorKind = Kind | "null";
type Getter = (ctx: ConditionContext) => string | boolean | undefined;
type Field = Exclude<keyof ConditionContext, "requestObjectTags" | "existingObjectTags">;

const field = (f: Field, kind: Kind) => ({ get: ((ctx) => ctx[f]) as Getter, kind });

/** The condition keys this gateway evaluates (names are case-insensitive, as in IAM), and what their values are. */
// Maps, not object literals: a key like "constructor" or "__proto__" must be unknown, not inherited.
const KEYS = new Map<string, { get: Getter; kind: Kind }>(Object.entries({
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
}));

/** Tag-valued keys: the prefix is case-insensitive, the tag key after the slash is literal (as tag keys are). */
const TAG_KEYS: ReadonlyArray<readonly [string, "requestObjectTags" | "existingObjectTags"]> = [
  ["s3:requestobjecttag/", "requestObjectTags"],
  ["s3:existingobjecttag/", "existingObjectTags"],
];

function keySpec(name: string): { get: Getter; kind: Kind } | undefined {
  const lower = name.toLowerCase();
  for (const [prefix, f] of TAG_KEYS) {
    if (!lower.startsWith(prefix) || name.length === prefix.length || name.length > prefix.length + 128) continue;
    const tag = name.slice(prefix.length);
    // Own properties only: a tag named "__proto__" or "constructor" is just a tag key.
    return { get: (ctx) => { const tags = ctx[f]; return tags && Object.hasOwn(tags, tag) ? tags[tag] : undefined; }, kind: "string" };
  }
  return KEYS.get(lower);
}

/** Whether a validated condition block names s3:ExistingObjectTag/<key> (the only key that costs a lookup). */
export function usesExistingObjectTags(block: ConditionBlock): boolean {
  return Object.values(block).some((entries) => Object.keys(entries).some((k) => k.toLowerCase().startsWith("s3:existingobjecttag/")));
}

/** The operators, which kind of key each applies to, and whether it is negated (true when the key is absent). */
const OPERATORS = new Map<string, { kind: OperatorKind; negated: boolean; like: boolean }>(Object.entries({
  StringEquals: { kind: "string", negated: false, like: false },
  StringNotEquals: { kind: "string", negated: true, like: false },
  StringLike: { kind: "string", negated: false, like: true },
  StringNotLike: { kind: "string", negated: true, like: true },
  IpAddress: { kind: "ip", negated: false, like: false },
  NotIpAddress: { kind: "ip", negated: true, like: false },
  Bool: { kind: "bool", negated: false, like: false },
  Null: { kind: "null", negated: false, like: false },
} satisfies Record<string, { kind: OperatorKind; negated: boolean; like: boolean }>));

const MAX_VALUES = 100;

/** An operator, or its `…IfExists` form (which holds when the request lacks the key). */
function operatorOf(name: string): { kind: OperatorKind; negated: boolean; like: boolean; ifExists: boolean } | undefined {
  const ifExists = name.endsWith("IfExists");
  const op = OPERATORS.get(ifExists ? name.slice(0, -"IfExists".length) : name);
  // NullIfExists would say nothing: IAM has no such operator.
  return op && !(ifExists && op.kind === "null") ? { ...op, ifExists } : undefined;
}

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
      if (op.kind !== "null" && spec.kind !== op.kind) return { ok: false, reason: `Condition operator ${operator} cannot be used with key ${key}` };
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0 || list.length > MAX_VALUES) return { ok: false, reason: `Condition ${operator} ${key} needs 1 to ${MAX_VALUES} values` };
      const values: string[] = [];
      for (const v of list) {
        if (typeof v !== "string" && typeof v !== "boolean" && typeof v !== "number") return { ok: false, reason: `Condition ${operator} ${key} has a value that is not a string` };
        const text = String(v);
        if (text.length > 1024) return { ok: false, reason: `Condition ${operator} ${key} has a value over 1024 characters` };
        if (op.kind === "ip" && !parseCidr(text)) return { ok: false, reason: `Condition ${operator} ${key} has an invalid network: ${text.slice(0, 64)}` };
        if ((op.kind === "bool" || op.kind === "null") && !/^(true|false)$/i.test(text)) return { ok: false, reason: `Condition ${operator} ${key} needs true or false` };
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

function matcher(op: { kind: OperatorKind; like: boolean }, values: string[]): (actual: string | boolean) => boolean {
  if (op.kind === "ip") {
    const set = new IpSet(values);
    return (actual) => typeof actual === "string" && set.has(actual);
  }
  if (op.kind === "bool") {
    const wanted = new Set(values.map((v) => v.toLowerCase() === "true"));
    return (actual) => wanted.has(actual === true);
  }
  if (op.like) {
    const patterns = values.map((v) => wildcardRegExp(v));
    return (actual) => typeof actual === "string" && patterns.some((p) => p.test(actual));
  }
  return (actual) => typeof actual === "string" && values.includes(actual);
}
