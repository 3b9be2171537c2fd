import { ADMIN_ONLY } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { customerView } from "../../services/access/customers.ts";
import { assertNoMoveFields, patchCustomerProfile, profilePatchSchema } from "../../services/access/customer-profile.ts";
import { suspensionView } from "../../services/access/customer-suspension.ts";
import { parseInput } from "../../services/paging.ts";
import { customerParam } from "./customer-keys-params.ts";
import { jsonBody } from "./json-body.ts";

/** PATCH of a customer's profile (admin). The audit row names the changed fields, never their values. */
export function customerProfileRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.patch("/:id", operation("UpdateCustomer"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op } = c.var;
    const id = customerParam(c);
    const raw = await jsonBody(c);
    assertNoMoveFields(raw);
    const patch = parseInput(profilePatchSchema, raw, "body");
    const { customer, changed } = await patchCustomerProfile(deps, id, patch);
    op.info = { changed_fields: changed };
    return c.json({ ...customerView(customer), ...suspensionView(customer), changed_fields: changed });
  });

  return r;
}
