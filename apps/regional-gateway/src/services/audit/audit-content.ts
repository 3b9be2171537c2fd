import { unstorableTextReason } from "@s3gw/core";
import type { OperationRow } from "./audit.ts";

/** What an audit row says in place of text the database cannot store exactly (NUL, lone surrogates). */
export const UNSTORABLE_TEXT = "<unstorable text>";

const INT32_MAX = 2_147_483_647;

const text = (s: string): string => (unstorableTextReason(s) ? UNSTORABLE_TEXT : s);
const optText = (s: string | null | undefined): string | null => (s === null || s === undefined ? null : text(String(s)));
const int = (n: unknown, min: number, max: number): number => {
  const v = typeof n === "number" && Number.isFinite(n) ? Math.round(n) : 0;
  return Math.min(max, Math.max(min, v));
};

/**
 * A JSON value as jsonb will give it back: what JSON.stringify would keep (toJSON applied, so
 * dates become ISO text; undefined and functions dropped from objects, null in arrays;
 * non-finite numbers null; -0 is 0), with every string or key that Postgres would refuse or
 * alter replaced by the marker, as is whatever JSON cannot encode (a BigInt, a cycle).
 */
export function storableJson(value: unknown, seen: Set<object> = new Set()): unknown {
  let v = value;
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    try {
      v = (v as { toJSON: () => unknown }).toJSON();
    } catch {
      return UNSTORABLE_TEXT;
    }
  }
  switch (typeof v) {
    case "string":
      return text(v);
    case "number":
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case "boolean":
      return v;
    case "bigint":
      return UNSTORABLE_TEXT;
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (v === null) return null;
  const obj = v as object;
  if (seen.has(obj)) return UNSTORABLE_TEXT;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((x) => storableJson(x, seen) ?? null);
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, x] of Object.entries(obj)) {
      const stored = storableJson(x, seen);
      if (stored === undefined) continue;
      // Two refused keys would collide on the marker: each is kept, numbered.
      const key = unstorableTextReason(k) ? `${UNSTORABLE_TEXT}#${n++}` : k;
      Object.defineProperty(out, key, { value: stored, enumerable: true, writable: true, configurable: true });
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/**
 * The row exactly as the database will store it and give it back: text columns without what
 * Postgres refuses or rewrites, integers in their column's range, compliance_info as jsonb
 * returns it, a valid time of millisecond precision (the column keeps microseconds, the
 * clock gives milliseconds). The hash is computed over this, so what is hashed is what is stored.
 */
export function storableRow(row: OperationRow): OperationRow {
  const info = storableJson(row.complianceInfo);
  const at = row.createdAt instanceof Date && Number.isFinite(row.createdAt.getTime()) ? row.createdAt : new Date();
  return {
    requestId: text(String(row.requestId)),
    customerId: optText(row.customerId),
    operationType: text(String(row.operationType)),
    bucketName: optText(row.bucketName),
    objectKey: optText(row.objectKey),
    result: row.result === "success" || row.result === "denied" ? row.result : "error",
    statusCode: int(row.statusCode, 0, 999),
    errorCode: optText(row.errorCode),
    bytesTransferred: int(row.bytesTransferred, 0, Number.MAX_SAFE_INTEGER),
    sourceIp: optText(row.sourceIp),
    sourceCountry: optText(row.sourceCountry),
    crossBorderTransfer: row.crossBorderTransfer === true,
    complianceInfo: info !== null && typeof info === "object" && !Array.isArray(info) ? (info as Record<string, unknown>) : { value: info },
    durationMs: int(row.durationMs, 0, INT32_MAX),
    principal: optText(row.principal),
    createdAt: new Date(at.getTime()),
  };
}

/**
 * What the chain hash covers: the sixteen stored columns other than id and the hashes, by
 * these (camelCase) names, created_at as ISO-8601 UTC with milliseconds. Named one by one so
 * that a column added to the table later does not silently change what old rows hash to.
 */
export function hashedContent(row: OperationRow): Record<string, unknown> {
  return {
    requestId: row.requestId,
    customerId: row.customerId,
    operationType: row.operationType,
    bucketName: row.bucketName,
    objectKey: row.objectKey,
    result: row.result,
    statusCode: row.statusCode,
    errorCode: row.errorCode,
    bytesTransferred: row.bytesTransferred,
    sourceIp: row.sourceIp,
    sourceCountry: row.sourceCountry,
    crossBorderTransfer: row.crossBorderTransfer,
    complianceInfo: row.complianceInfo,
    durationMs: row.durationMs,
    principal: row.principal,
    createdAt: row.createdAt.toISOString(),
  };
}
