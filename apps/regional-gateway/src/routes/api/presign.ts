import { apiError, COMPLIANCE_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { issuePresignedUrl, presignSchema } from "../../services/access/presign.ts";

/**
 * `POST /api/presign`: a time-limited URL any HTTP client can use on the global endpoint.
 * PUT URLs need an admin token (compliance officers never write objects). The URL itself is
 * never logged; the audit row records what was issued, to whom, for how long.
 */
export function presignRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post("/", operation("IssuePresignedUrl"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op, principal } = c.var;
    const parsed = presignSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw apiError.badRequest(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    const input = parsed.data;
    const customerId = scopeCustomer(c, input.customer_id);
    if (!customerId) throw apiError.badRequest("customer_id is required with a region-wide token");
    op.customerId = customerId;
    op.bucket = input.bucket;
    op.key = input.key;
    op.info = { method: input.method, expires_in: input.expires_in };
    if (input.method === "PUT" && principal.role !== "admin") throw apiError.forbidden("only admin tokens may issue upload URLs");
    const issued = await issuePresignedUrl(deps, customerId, input);
    op.info = { method: issued.method, expires_in: input.expires_in, expires_at: issued.expires_at, access_key_id: issued.access_key_id };
    return c.json(issued, 201);
  });
  return r;
}
