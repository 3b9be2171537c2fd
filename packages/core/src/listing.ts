import { s3Error } from "./errors.ts";

/** Where a listing page starts: keys strictly after `key`, or from `key` on when inclusive. */
export interface ListCursor { key: string; inclusive: boolean }

export interface ListRequest {
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  cursor: ListCursor | undefined;
}

export interface ListResult<T> {
  contents: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  next: ListCursor | undefined;
}

/** Fetches up to `limit` entries whose key starts with the prefix, after the cursor, in byte order. */
export type ListFetcher<T> = (cursor: ListCursor | undefined, limit: number) => Promise<T[]>;

/**
 * S3 listing with delimiter grouping over a key-ordered source. A common prefix counts as
 * one entry against max-keys, and the scan jumps past all keys under it in one seek.
 */
export async function listKeys<T extends { key: string }>(req: ListRequest, fetch: ListFetcher<T>): Promise<ListResult<T>> {
  const contents: T[] = [];
  const commonPrefixes: string[] = [];
  let cursor = req.cursor;
  if (req.maxKeys === 0) return { contents, commonPrefixes, isTruncated: false, next: undefined };
  const batch = Math.min(req.maxKeys + 1, 1000);
  for (;;) {
    const rows = await fetch(cursor, batch);
    let reseek = false;
    for (const row of rows) {
      const lastPrefix = commonPrefixes.at(-1);
      if (lastPrefix !== undefined && row.key.startsWith(lastPrefix)) continue;
      const rest = row.key.slice(req.prefix.length);
      const at = req.delimiter ? rest.indexOf(req.delimiter) : -1;
      if (contents.length + commonPrefixes.length === req.maxKeys) {
        return { contents, commonPrefixes, isTruncated: true, next: cursor };
      }
      if (at >= 0) {
        const prefix = req.prefix + rest.slice(0, at + req.delimiter!.length);
        commonPrefixes.push(prefix);
        cursor = pastPrefix(prefix);
        reseek = true;
        break;
      }
      contents.push(row);
      cursor = { key: row.key, inclusive: false };
    }
    if (!reseek && rows.length < batch) return { contents, commonPrefixes, isTruncated: false, next: undefined };
  }
}

/** The smallest cursor beyond every key that starts with `prefix` (byte order). */
export function pastPrefix(prefix: string): ListCursor {
  const chars = Array.from(prefix);
  const last = chars.pop()!.codePointAt(0)!;
  let bumped = last + 1;
  if (bumped >= 0xd800 && bumped <= 0xdfff) bumped = 0xe000;
  if (bumped > 0x10ffff) return { key: prefix, inclusive: false }; // listKeys skips the rest in memory
  return { key: chars.join("") + String.fromCodePoint(bumped), inclusive: true };
}

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.inclusive ? 1 : 0]), "utf8").toString("base64url");
}

export function decodeCursor(token: string): ListCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && typeof parsed[0] === "string" && (parsed[1] === 0 || parsed[1] === 1)) {
      return { key: parsed[0], inclusive: parsed[1] === 1 };
    }
  } catch {
    // fall through to the S3 error below
  }
  throw s3Error("InvalidArgument", "The continuation token provided is incorrect");
}
