import { corsResponseHeaders, matchCorsRule } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { corsRulesByName } from "../services/objects/cors.ts";

/**
 * An actual (non-preflight) S3 response to a browser, success or error, gets the matching CORS
 * rule's headers, and `Vary: Origin` whenever the bucket has rules (the answer depends on the
 * origin). Only requests with an Origin pay for the lookup, which is cached. The customer is the
 * authenticated one, or the one the router proved it routed for (an error before authentication).
 */
export async function addCorsHeaders(c: Context<AppEnv>): Promise<void> {
  const origin = c.req.header("origin");
  const bucket = c.get("s3Target")?.bucket;
  if (origin === undefined || bucket === undefined || c.req.method === "OPTIONS") return;
  const customerId = c.get("customer")?.customerId ?? (c.get("forwardedByRouter") ? c.get("routedCustomerId") : undefined);
  if (customerId === undefined) return;
  let rules;
  try {
    rules = await corsRulesByName(c.get("deps"), customerId, bucket);
  } catch (err) {
    // The answer stands without CORS headers (the browser then withholds it); never a second failure.
    c.get("logger").warn({ err: (err as Error).message }, "CORS rules unavailable for a response");
    return;
  }
  if (!rules) return;
  const req = { origin, method: c.req.method, headers: [] };
  const rule = matchCorsRule(rules, req);
  const headers = rule ? corsResponseHeaders(rule, req, false) : {};
  let res = c.res;
  try {
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
    res.headers.append("vary", "Origin");
  } catch {
    // Immutable headers (a response passed through from elsewhere): copy once.
    res = new Response(res.body, res);
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
    res.headers.append("vary", "Origin");
    c.res = res;
  }
}
