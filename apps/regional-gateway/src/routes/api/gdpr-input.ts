import { apiError } from "@s3gw/core";
import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { scopeCustomer } from "../../middleware/auth.ts";
import { requestIdSchema } from "../../services/gdpr/gdpr.ts";

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw apiError.badRequest(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  return parsed.data;
}

/** The request id in the path, and the customer the caller's token is limited to (if any). */
export function requestTarget(c: Context<AppEnv>): { id: string; scope: string | undefined } {
  const id = parseInput(requestIdSchema, c.req.param("id"));
  c.var.op.info = { request_id: id };
  return { id, scope: scopeCustomer(c, undefined) };
}
