import { CUSTOMER_ID_RE, s3Error } from "@s3gw/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { findCustomer } from "../services/customers.ts";

/**
 * Identifies the S3 caller. Until credentials exist, the `X-Customer-ID` header is the
 * identity, accepted only in the trusted-header mode the operator enabled. The customer
 * must be homed in this region; anyone else is refused (and the audit row records it).
 */
export const s3Customer = createMiddleware<AppEnv>(async (c, next) => {
  const { deps } = c.var;
  if (!deps.config.trustedCustomerHeader) {
    throw s3Error("AccessDenied", "Anonymous access is disabled: this gateway does not accept X-Customer-ID without credentials");
  }
  const customerId = c.req.header("x-customer-id");
  if (!customerId) throw s3Error("AccessDenied", "Missing X-Customer-ID header");
  if (!CUSTOMER_ID_RE.test(customerId)) throw s3Error("AccessDenied", "Malformed X-Customer-ID header");
  const customer = await findCustomer(deps.db, customerId);
  if (!customer || customer.regionId !== deps.config.region.region_id) {
    c.var.op.info = { reason: "customer_not_homed_here" };
    throw s3Error("AccessDenied", `Customer ${customerId} is not homed in region ${deps.config.region.region_id}`);
  }
  if (customer.status !== "active") throw s3Error("AccessDenied", `Customer ${customerId} is ${customer.status}`);
  c.var.op.customerId = customerId;
  c.set("customer", customer);
  await next();
});
