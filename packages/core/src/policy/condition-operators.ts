import { IpSet, parseCidr } from "./ip.ts";
import { wildcardRegExp } from "./wildcard.ts";

/** What a condition key's value is, which decides the operators that may test it. */
export type Kind = "string" | "ip" | "bool" | "numeric" | "date" | "arn";
/** `Null` tests whether a key is present at all, whatever its kind. */
export type OperatorKind = Kind | "null";
/** A key's value in one request: a Date for time keys (numeric operators see its epoch seconds). */
export type ConditionValue = string | boolean | number | Date;

export interface Operator {
  kind: OperatorKind;
  /** A negated operator holds when the key is absent, and when no value matches (IAM's rule). */
  negated: boolean;
  test: "equals" | "like" | "ignoreCase" | "lt" | "lte" | "gt" | "gte";
  ifExists: boolean;
}

type Base = Omit<Operator, "ifExists">;
const op = (kind: OperatorKind, test: Base["test"], negated = false): Base => ({ kind, test, negated });

/** IAM's condition operators, each without its `…IfExists` suffix. BinaryEquals has no binary key here. */
const OPERATORS = new Map<string, Base>(Object.entries({
  StringEquals: op("string", "equals"),
  StringNotEquals: op("string", "equals", true),
  StringEqualsIgnoreCase: op("string", "ignoreCase"),
  StringNotEqualsIgnoreCase: op("string", "ignoreCase", true),
  StringLike: op("string", "like"),
  StringNotLike: op("string", "like", true),
  NumericEquals: op("numeric", "equals"),
  NumericNotEquals: op("numeric", "equals", true),
  NumericLessThan: op("numeric", "lt"),
  NumericLessThanEquals: op("numeric", "lte"),
  NumericGreaterThan: op("numeric", "gt"),
  NumericGreaterThanEquals: op("numeric", "gte"),
  DateEquals: op("date", "equals"),
  DateNotEquals: op("date", "equals", true),
  DateLessThan: op("date", "lt"),
  DateLessThanEquals: op("date", "lte"),
  DateGreaterThan: op("date", "gt"),
  DateGreaterThanEquals: op("date", "gte"),
  IpAddress: op("ip", "equals"),
  NotIpAddress: op("ip", "equals", true),
  Bool: op("bool", "equals"),
  // IAM documents ArnEquals and ArnLike alike: component-wise, wildcards allowed in both.
  ArnEquals: op("arn", "like"),
  ArnLike: op("arn", "like"),
  ArnNotEquals: op("arn", "like", true),
  ArnNotLike: op("arn", "like", true),
  Null: op("null", "equals"),
}));

/** An operator, or its `…IfExists` form (which holds when the request lacks the key). Case-sensitive, as IAM's. */
export function operatorOf(name: string): Operator | undefined {
  const ifExists = name.endsWith("IfExists");
  const base = OPERATORS.get(ifExists ? name.slice(0, -"IfExists".length) : name);
  // NullIfExists would say nothing: IAM has no such operator.
  return base && !(ifExists && base.kind === "null") ? { ...base, ifExists } : undefined;
}

const NUMBER = /^-?\d{1,15}(?:\.\d{1,15})?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A date value as IAM takes it: ISO 8601, or epoch seconds. Milliseconds since the epoch, or undefined. */
export function parseDateValue(text: string): number | undefined {
  if (/^\d{1,12}$/.test(text)) return Number(text) * 1000;
  if (!ISO_DATE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

const parseNumber = (text: string): number | undefined => (NUMBER.test(text) ? Number(text) : undefined);

/** `arn:partition:service:region:account:resource`, the resource part free to hold colons. */
function arnParts(text: string): string[] | undefined {
  const parts = text.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/** Why a policy value does not fit its operator, or undefined when it does. */
export function invalidValue(kind: OperatorKind, text: string): string | undefined {
  if (kind === "ip" && !parseCidr(text)) return "an invalid network";
  if ((kind === "bool" || kind === "null") && !/^(true|false)$/i.test(text)) return "a value that is not true or false";
  if (kind === "numeric" && parseNumber(text) === undefined) return "a value that is not a number";
  if (kind === "date" && parseDateValue(text) === undefined) return "a value that is not an ISO 8601 date or epoch seconds";
  if (kind === "arn" && !arnParts(text)) return "a value that is not an ARN";
  return undefined;
}

const ORDER: Record<"equals" | "lt" | "lte" | "gt" | "gte", (a: number, b: number) => boolean> = {
  equals: (a, b) => a === b, lt: (a, b) => a < b, lte: (a, b) => a <= b, gt: (a, b) => a > b, gte: (a, b) => a >= b,
};

/** Whether a present value matches any of the operator's values (before negation). */
export function matcher(o: Operator, values: string[]): (actual: ConditionValue) => boolean {
  switch (o.kind) {
    case "ip": {
      const set = new IpSet(values);
      return (actual) => typeof actual === "string" && set.has(actual);
    }
    case "bool": {
      const wanted = new Set(values.map((v) => v.toLowerCase() === "true"));
      return (actual) => wanted.has(actual === true);
    }
    case "numeric": {
      const cmp = ORDER[o.test as keyof typeof ORDER], list = values.map((v) => parseNumber(v)!);
      return (actual) => {
        const n = actual instanceof Date ? Math.floor(actual.getTime() / 1000) : typeof actual === "number" ? actual : typeof actual === "string" ? parseNumber(actual) : undefined;
        return n !== undefined && list.some((v) => cmp(n, v));
      };
    }
    case "date": {
      const cmp = ORDER[o.test as keyof typeof ORDER], list = values.map((v) => parseDateValue(v)!);
      return (actual) => actual instanceof Date && list.some((v) => cmp(actual.getTime(), v));
    }
    case "arn": {
      const patterns = values.map((v) => arnParts(v)!.map((p) => wildcardRegExp(p)));
      return (actual) => {
        const parts = typeof actual === "string" ? arnParts(actual) : undefined;
        return parts !== undefined && patterns.some((p) => p.every((re, i) => re.test(parts[i]!)));
      };
    }
    default:
      break;
  }
  if (o.test === "like") {
    const patterns = values.map((v) => wildcardRegExp(v));
    return (actual) => typeof actual === "string" && patterns.some((p) => p.test(actual));
  }
  if (o.test === "ignoreCase") {
    const lowered = values.map((v) => v.toLowerCase());
    return (actual) => typeof actual === "string" && lowered.includes(actual.toLowerCase());
  }
  return (actual) => typeof actual === "string" && values.includes(actual);
}
