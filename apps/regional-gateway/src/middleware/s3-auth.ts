import { CUSTOMER_ID_RE, s3Error, sigv4AccessKeyId, verifySigV4, type IncomingS3Request, type SigV4Credentials, type VerifiedRequest } from "@s3gw/core";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { findActiveAccessKey, type ActiveAccessKey } from "../services/access/access-keys.ts";
import { findCustomer, unservedCustomerReason } from "../services/access/customers.ts";
import { assertCustomerStanding } from "../services/access/customer-standing.ts";
import { admitAnonymous } from "./anonymous-read.ts";

/** What a SigV4-authenticated request carries to the handlers (payload decoding, permissions). */
export interface S3Auth {
  key: ActiveAccessKey;
  credentials: SigV4Credentials;
  verified: VerifiedRequest;
  request: IncomingS3Request;
}

/** The request as the client signed it: raw target, headers as received (Host is the client's). */
export function incomingS3Request(c: Context<AppEnv>): IncomingS3Request {
  const target = c.env.incoming.url ?? "/";
  const q = target.indexOf("?");
  const headers: Record<string, string> = {};
  const raw = c.env.incoming.headersDistinct;
  for (const [name, values] of Object.entries(raw)) if (values) headers[name] = values.join(",");
  return { method: c.req.method, rawPath: q < 0 ? target : target.slice(0, q), rawQuery: q < 0 ? "" : target.slice(q + 1), headers };
}

/**
 * Identifies the S3 caller: SigV4 (Authorization header or presigned query) with an access key
 * of this region, or, only in the operator's trusted-header mode, `X-Customer-ID` alone. An
 * `X-Customer-ID` that disagrees with the authenticated customer is refused. The customer must
 * be homed in this region. What the key may do is decided from the operation table (authorize.ts).
 */
export const s3Auth = createMiddleware<AppEnv>(async (c, next) => {
  const deps = c.get("deps"), op = c.get("op");
  const claimed = c.req.header("x-customer-id");
  const request = incomingS3Request(c);
  // A bearer token here is a management token (e.g. an admin's governance bypass), not S3 auth.
  const bearer = /^Bearer\s/i.test(request.headers.authorization ?? "");
  const credential = bearer ? undefined : sigv4AccessKeyId(request);
  let customerId: string;
  if (credential) {
    const key = await findActiveAccessKey(deps, credential.accessKeyId);
    op.principal = `access-key:${credential.accessKeyId}`;
    if (!key) throw s3Error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    op.customerId = key.customerId;
    const credentials = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, signingKeys: key.signingKeys };
    const verified = await verifySigV4(request, credentials, deps.clock.now());
    if (claimed !== undefined && claimed !== key.customerId) {
      op.info = { reason: "x_customer_id_disagrees_with_credentials" };
      throw s3Error("AccessDenied", "X-Customer-ID does not match the authenticated customer");
    }
    c.set("s3Auth", { key, credentials, verified, request });
    customerId = key.customerId;
  } else if (!deps.config.trustedCustomerHeader || !claimed) {
    // No credentials and no operator-vouched X-Customer-ID: anonymous (a public bucket's objects at most).
    await admitAnonymous(c, () =>
      deps.config.trustedCustomerHeader
        ? s3Error("AccessDenied", "Missing credentials: sign the request with an access key, or send X-Customer-ID in trusted-header mode")
        : s3Error("AccessDenied", "Signed requests (AWS Signature Version 4) are required"),
    );
    await next();
    return;
  } else {
    if (!CUSTOMER_ID_RE.test(claimed)) throw s3Error("AccessDenied", "Malformed X-Customer-ID header");
    op.principal = `customer:${claimed}`;
    customerId = claimed;
  }
  await admitCustomer(c, customerId);
  await next();
});

/**
 * The authenticated customer may be served here: the one the router routed for (if it did),
 * homed in this region and active. Sets `customer`. Shared by every way of authenticating
 * (SigV4 header or query, trusted header, a browser form's policy signature).
 */
export async function admitCustomer(c: Context<AppEnv>, customerId: string): Promise<void> {
  const deps = c.get("deps"), op = c.get("op");
  op.customerId = customerId;
  // The router proved which customer it routed for; the authenticated one must be the same.
  const routed = c.get("routedCustomerId");
  if (c.get("forwardedByRouter") && routed !== undefined && routed !== customerId) {
    op.info = { reason: "routed_customer_mismatch" };
    throw s3Error("AccessDenied", "The request was routed for another customer");
  }
  const customer = await findCustomer(deps, customerId);
  if (!customer || customer.regionId !== deps.config.region.region_id) {
    // The router proved it routed this customer here: the profile is missing, and the error says so.
    // Without that proof the router is not asked (an unauthenticated caller must not make us call out).
    const routedHere = !customer && c.get("forwardedByRouter") && routed === customerId;
    const why = routedHere ? await unservedCustomerReason(deps, customerId, { routedHere }) : undefined;
    op.info = { reason: why?.reason ?? "customer_not_homed_here" };
    throw s3Error("AccessDenied", why?.message ?? `Customer ${customerId} is not homed in region ${deps.config.region.region_id}`);
  }
  assertCustomerStanding(customer, c.get("s3Operation"));
  c.set("customer", customer);
}
