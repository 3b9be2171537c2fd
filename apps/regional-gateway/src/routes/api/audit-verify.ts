import { apiError, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { verifyAuditLog } from "../../services/audit/audit-verify.ts";

/** Walks the region's tamper-evident operations log and checks it against its signed checkpoints. */
export function auditVerifyRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/verify", operation("VerifyAuditChain"), requireRole(...READ_ROLES), async (c) => {
    if (c.var.principal.customerId) throw apiError.forbidden("the audit chain is region-wide; a customer-scoped token cannot verify it");
    const report = await verifyAuditLog(c.var.deps);
    return c.json({ region: c.var.deps.config.region.region_id, ...report, checked_at: c.var.deps.clock.now().toISOString() });
  });

  // Open on purpose: anyone holding an export must be able to check its checkpoints' signatures.
  r.get("/public-key", operation("GetAuditPublicKey"), (c) => {
    const signer = c.var.deps.config.auditSigner;
    if (!signer) throw apiError.notFound("this region has no audit signing key configured");
    c.header("x-s3gw-key-fingerprint", signer.fingerprint);
    return c.body(signer.publicKeyPem, 200, { "content-type": "application/x-pem-file" });
  });
  return r;
}
