import { apiError, CUSTOMER_ID_RE } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";

/** The path's customer id (no token scoping here: the caller is a region), recorded on the audit row. */
export function customerParamOf(c: Context<AppEnv>): string {
  const raw = c.req.param("id") ?? "";
  if (!CUSTOMER_ID_RE.test(raw)) throw apiError.badRequest("customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  c.var.op.customerId = raw;
  return raw;
}
