import { ADMIN_ONLY, describePrincipal, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { cancelCryptoShred, cryptoShredSchema, getCryptoShred, scheduleCryptoShred } from "../../services/keys/crypto-shred.ts";
import { parseInput } from "../../services/paging.ts";
import { customerParam } from "./customer-keys-params.ts";
import { jsonBody } from "./json-body.ts";

/**
 * Crypto-shredding a customer: an admin with a recorded reason schedules destroying all of the
 * customer's keys after CRYPTO_SHRED_DELAY_SECONDS (refused while anything is held); it can be
 * cancelled until the key worker runs it.
 */
export function cryptoShredRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/customers/:id/crypto-shred", operation("ScheduleCryptoShred"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op, principal } = c.var;
    const id = customerParam(c);
    const body = parseInput(cryptoShredSchema, await jsonBody(c, { emptyIsObject: true }), "body");
    op.info = { reason: body.reason };
    const request = await scheduleCryptoShred({ ctx: deps, input: { customerId: id, reason: body.reason, requestedBy: describePrincipal(principal) } });
    op.info = { request_id: request.request_id, reason: body.reason, execute_after: request.execute_after };
    return c.json(request, 202);
  });

  r.get("/customers/:id/crypto-shred", operation("GetCryptoShred"), requireRole(...READ_ROLES), async (c) => {
    const id = customerParam(c);
    return c.json(await getCryptoShred({ ctx: c.var.deps, input: { customerId: id } }));
  });

  r.delete("/customers/:id/crypto-shred", operation("CancelCryptoShred"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op, principal } = c.var;
    const id = customerParam(c);
    const request = await cancelCryptoShred({ ctx: deps, input: { customerId: id, cancelledBy: describePrincipal(principal) } });
    op.info = { request_id: request.request_id };
    return c.json(request);
  });

  return r;
}
