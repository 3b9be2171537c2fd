import { apiError, CUSTOMER_ID_RE, READ_ROLES, type Role } from "@s3gw/core";
import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { probeView, storageView } from "../../services/storage/customer-storage.ts";
import {
  disableCustomerStorage,
  putCustomerStorage,
  putStorageSchema,
  rotateCustomerStorage,
  rotateStorageSchema,
  validateCustomerStorage,
  type ChangeResult,
} from "../../services/storage/customer-storage-config.ts";
import { findCustomer, type Customer } from "../../services/access/customers.ts";
import { parseInput } from "../../services/paging.ts";
import { jsonBody } from "./json-body.ts";

const MANAGER_ROLES: readonly Role[] = ["admin", "compliance_officer"];

/** Where a customer's bytes live is the customer's business: an admin, or an officer acting for that customer. */
const storageManager = createMiddleware<AppEnv>(async (c, next) => {
  const p = c.var.principal;
  if (p.role !== "admin" && !p.customerId) throw apiError.forbidden(`a region-wide ${p.role} token may not configure customer storage; use an admin token or a token scoped to the customer`);
  await next();
});

async function customerOf(c: Context<AppEnv>): Promise<Customer> {
  const raw = c.req.param("id") ?? "";
  if (!CUSTOMER_ID_RE.test(raw)) throw apiError.badRequest("customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  const id = scopeCustomer(c, raw)!;
  c.var.op.customerId = id;
  const customer = await findCustomer(c.var.deps.db, id);
  if (!customer) throw apiError.notFound(`customer ${id} is not registered in region ${c.var.deps.config.region.region_id}`);
  return customer;
}

/** The audit row of a configuration change: which fields, never their values (an override's reason is the admin's own words). */
function audited(c: Context<AppEnv>, change: ChangeResult, overrideReason?: string): void {
  c.var.op.info = {
    fields_changed: change.fieldsChanged,
    target_id: change.targetId,
    activation_override: change.activationOverride,
    ...(change.activationOverride && overrideReason ? { override_reason: overrideReason } : {}),
    ...(change.probe ? { probe_ok: change.probe.ok, ...(change.probe.errorClass ? { error_class: change.probe.errorClass } : {}) } : {}),
  };
}

/** A customer's own S3-compatible bucket as the target of its new writes (seed 004). */
export function customerStorageRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/:id/storage", operation("GetCustomerStorage"), requireRole(...READ_ROLES), async (c) => {
    const customer = await customerOf(c);
    return c.json(await storageView(c.var.deps, customer.customerId));
  });

  r.put("/:id/storage", operation("PutCustomerStorage"), requireRole(...MANAGER_ROLES), storageManager, async (c) => {
    const customer = await customerOf(c);
    const body = parseInput(putStorageSchema, await jsonBody(c), "body");
    const change = await putCustomerStorage(c.var.deps, customer, body, c.var.principal);
    audited(c, change, body.override_reason);
    const view = await storageView(c.var.deps, customer.customerId);
    return c.json(change.probe ? { ...view, probe: probeView(change.probe) } : view);
  });

  r.delete("/:id/storage", operation("DeleteCustomerStorage"), requireRole(...MANAGER_ROLES), storageManager, async (c) => {
    const customer = await customerOf(c);
    audited(c, await disableCustomerStorage(c.var.deps, customer.customerId));
    return c.body(null, 204);
  });

  r.post("/:id/storage/validate", operation("ValidateCustomerStorage"), requireRole(...MANAGER_ROLES), storageManager, async (c) => {
    const customer = await customerOf(c);
    const change = await validateCustomerStorage(c.var.deps, customer.customerId);
    audited(c, change);
    return c.json(probeView(change.probe));
  });

  r.post("/:id/storage/rotate", operation("RotateCustomerStorageCredentials"), requireRole(...MANAGER_ROLES), storageManager, async (c) => {
    const customer = await customerOf(c);
    const body = parseInput(rotateStorageSchema, await jsonBody(c), "body");
    const change = await rotateCustomerStorage(c.var.deps, customer.customerId, body, c.var.principal);
    audited(c, change, body.override_reason);
    return c.json({ ...(await storageView(c.var.deps, customer.customerId)), probe: probeView(change.probe) });
  });

  return r;
}
