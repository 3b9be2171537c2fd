import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

/** The client's country as the deployment's edge reported it (ISO alpha-2), or null. */
export function sourceCountryOf(c: Context<AppEnv>): string | null {
  const v = c.req.header(c.var.deps.config.sourceCountryHeader);
  return v && /^[A-Za-z]{2}$/.test(v) ? v.toUpperCase() : null;
}

/**
 * Whether an operation moves data across a border: from where the client is (when the edge
 * says) to where the bytes are, or else between the customer's country and the storage's.
 */
export function isCrossBorder(sourceCountry: string | null, storageCountry: string, customerCountry: string): boolean {
  return sourceCountry ? sourceCountry !== storageCountry : storageCountry !== customerCountry;
}
