import { apiError } from "@s3gw/core";
import { z } from "zod";

/** `limit` of every paginated list: default 50, at most 500. */
export const limitParam = z.coerce.number().int().min(1).max(500).default(50);

/**
 * Cursors are opaque to clients (base64url JSON) so the keyset behind them can change
 * without breaking anyone; a tampered or foreign cursor is a 400, never a 500.
 */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

export function decodeCursor<T>(raw: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw apiError.badRequest("malformed cursor");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw apiError.badRequest("malformed cursor");
  return parsed.data;
}

/** Validates a query string or body; bad input is the client's error, with every issue named. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what = "query"): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw apiError.badRequest(parsed.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`).join("; "));
  }
  return parsed.data;
}
