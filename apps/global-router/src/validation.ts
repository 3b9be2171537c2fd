import { apiError } from "@s3gw/core";
import type { z } from "zod";

/** Parses request input with a zod schema; any problem becomes a 400, never a 500. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
  throw apiError.badRequest(`invalid ${what}: ${detail}`);
}
