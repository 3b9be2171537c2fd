import { ADMIN_ONLY, apiError, describePrincipal } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { requireRole } from "../../middleware/auth.ts";
import { createToken, createTokenSchema, listTokens, revokeToken } from "../../services/access/tokens.ts";

/** Region-local management tokens. The secret is returned once, at creation; only its hash is kept. */
export function tokenRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.use("*", requireRole(...ADMIN_ONLY));

  r.post("/", async (c) => {
    c.var.op.operation = "CreateApiToken";
    const body = createTokenSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw apiError.badRequest(body.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    const created = await createToken(c.var.deps.db, body.data, describePrincipal(c.var.principal));
    c.var.op.info = { token_id: created.token_id, role: created.role, customer_id: created.customer_id };
    return c.json(created, 201);
  });

  r.get("/", async (c) => {
    c.var.op.operation = "ListApiTokens";
    return c.json({ tokens: await listTokens(c.var.deps.db) });
  });

  r.delete("/:id", async (c) => {
    c.var.op.operation = "RevokeApiToken";
    const id = c.req.param("id");
    if (!/^[0-9a-f-]{36}$/.test(id)) throw apiError.badRequest("token id must be a UUID");
    await revokeToken(c.var.deps.db, id, c.var.deps.clock.now());
    c.var.op.info = { token_id: id };
    return c.body(null, 204);
  });
  return r;
}
