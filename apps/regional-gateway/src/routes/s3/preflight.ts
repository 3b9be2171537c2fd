import { corsResponseHeaders, CUSTOMER_ID_RE, matchCorsRule, requestedCorsHeaders, s3Error, sigv4AccessKeyId } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { forwarded } from "../../middleware/forwarded.ts";
import { findActiveAccessKey } from "../../services/access/access-keys.ts";
import { findCustomer } from "../../services/access/customers.ts";
import { assertCustomerStanding } from "../../services/access/customer-standing.ts";
import { corsRulesByName } from "../../services/objects/cors.ts";
import type { S3Target } from "./request-target.ts";

/** What a preflight's answer varies by, for caches between the browser and us. */
export const PREFLIGHT_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/**
 * Whose bucket a preflight asks about. Browsers send no credentials with a preflight, so it is
 * never authenticated: the customer is the one the router proved it routed for, else the owner
 * of the access key id in a presigned URL's query (the signature covers the real request, not
 * this one), else X-Customer-ID in trusted-header mode. Only a customer homed here whose standing
 * allows the requested method (customer-standing.ts).
 */
async function preflightCustomer(c: Context<AppEnv>, target: S3Target, method: string): Promise<string | undefined> {
  const { deps } = c.var;
  let customerId: string | undefined;
  if (c.var.forwardedByRouter && c.var.routedCustomerId) customerId = c.var.routedCustomerId;
  else {
    let keyId: string | undefined;
    try {
      keyId = sigv4AccessKeyId({ headers: {}, rawQuery: target.rawQuery })?.accessKeyId;
    } catch {
      keyId = undefined; // a malformed presigned query decides nothing here; the real request will be refused
    }
    if (keyId !== undefined) customerId = (await findActiveAccessKey(deps, keyId))?.customerId;
    else if (deps.config.trustedCustomerHeader) customerId = c.req.header("x-customer-id");
  }
  if (customerId === undefined || !CUSTOMER_ID_RE.test(customerId)) return undefined;
  const customer = await findCustomer(deps, customerId);
  if (!customer || customer.regionId !== deps.config.region.region_id) return undefined;
  // The standing rule of the real request decides: a suspended customer whose reads are allowed
  // answers preflights of reads (GET, HEAD), as its reads themselves are answered.
  const reading = method === "GET" || method === "HEAD";
  try {
    assertCustomerStanding(customer, { permission: reading ? "read" : "write" });
  } catch {
    return undefined;
  }
  return customerId;
}

/**
 * OPTIONS on a bucket or object URL: answered from the bucket's CORS rules, unauthenticated.
 * It tells nothing but the CORS decision: an unknown customer, a missing bucket and a bucket
 * without CORS all get the same 403. Audited like any refused request (one row, batched).
 */
export async function preflightHandler(c: Context<AppEnv>, target: S3Target): Promise<Response> {
  const { deps, op } = c.var;
  op.operation = "PreflightCORS";
  op.principal = "anonymous";
  let res: Response | undefined;
  await forwarded(c, async () => {
    const origin = c.req.header("origin");
    const method = c.req.header("access-control-request-method");
    if (origin === undefined) throw s3Error("BadRequest", "Insufficient information. Origin request header needed.");
    if (method === undefined) throw s3Error("BadRequest", "Invalid Access-Control-Request-Method: null");
    const customerId = target.bucket === undefined ? undefined : await preflightCustomer(c, target, method.toUpperCase());
    if (customerId !== undefined) op.customerId = customerId;
    const rules = customerId === undefined ? null : await corsRulesByName(deps, customerId, target.bucket!);
    if (!rules) throw s3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.");
    const req = { origin, method, headers: requestedCorsHeaders(c.req.header("access-control-request-headers")) };
    const rule = matchCorsRule(rules, req);
    if (!rule) throw s3Error("AccessForbidden");
    res = c.body(null, 200, { ...corsResponseHeaders(rule, req, true), vary: PREFLIGHT_VARY, "content-length": "0" });
  });
  return res!;
}
