import { toXml } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";

export function xml(c: Context<AppEnv>, doc: Record<string, unknown>, status: 200 | 201 = 200): Response {
  return c.body(toXml(doc), status, { "content-type": "application/xml" });
}

export function httpDate(d: Date): string {
  return d.toUTCString();
}

/** S3 timestamps in listings: ISO 8601 with milliseconds. */
export function isoDate(d: Date): string {
  return d.toISOString();
}

/** A body-less answer with an explicit zero length (S3 clients expect it rather than chunked encoding). */
export function empty(c: Context<AppEnv>, status: 200 | 204, headers: Record<string, string> = {}): Response {
  return c.body(null, status, status === 204 ? headers : { ...headers, "content-length": "0" });
}
