import { apiError, COMPLIANCE_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { bucketField, customerIdField, keyField, locate } from "../../services/compliance/holds.ts";
import { verifyObjects } from "../../services/objects/integrity.ts";

export const verifySchema = z
  .strictObject({ customer_id: customerIdField.optional(), bucket: bucketField.optional(), key: keyField.optional() })
  .refine((b) => b.key === undefined || b.bucket !== undefined, { message: "key needs bucket", path: ["key"] });

/**
 * Tamper detection: re-hashes stored bytes against the recorded SHA-256. It changes object
 * state (last_verified_at, integrity_failed, which blocks reads) and raises events, so it is a
 * compliance duty: auditors read the results (the audit log, alerts), they do not trigger it.
 */
export function objectVerifyRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post("/verify", operation("VerifyObjectIntegrity"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op } = c.var;
    const parsed = verifySchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw apiError.badRequest(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    const body = parsed.data;
    const customerId = scopeCustomer(c, body.customer_id);
    if (!customerId) throw apiError.badRequest("customer_id: required");
    op.customerId = customerId;
    if (body.bucket !== undefined) op.bucket = body.bucket;
    if (body.key !== undefined) op.key = body.key;
    const { bucket } = await locate(deps.db, { customerId, bucket: body.bucket, key: body.key });
    const started = performance.now();
    const report = await verifyObjects(deps, {
      customerId,
      ...(bucket ? { bucketId: bucket.bucketId } : {}),
      ...(body.key !== undefined ? { key: body.key } : {}),
    });
    op.info = { checked: report.checked, ok: report.ok, mismatched: report.mismatched.length };
    return c.json({ ...report, duration_ms: Math.round(performance.now() - started) });
  });
  return r;
}
