import { apiError } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";

/**
 * A management request's JSON body (zod validates it next). `emptyIsObject`: an empty body is
 * `{}`, for routes whose every field is optional.
 */
export async function jsonBody(c: Context<AppEnv>, opts: { emptyIsObject?: boolean } = {}): Promise<unknown> {
  const text = await c.req.text();
  if (opts.emptyIsObject && text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw apiError.badRequest("request body must be JSON");
  }
}
