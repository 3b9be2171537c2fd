import { FORWARDED_PROOF_HEADER, ROUTED_CUSTOMER_HEADER, verifyForwardedRequest, type GatewaySecret } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

export type ForwardingVerdict =
  | { kind: "absent" }
  | { kind: "invalid"; reason: string }
  | { kind: "valid"; clientAddress: string | undefined; routedCustomerId: string | undefined; sourceCountry: string | undefined };

/** The peer of the TCP connection; undefined when the app is driven without a socket (app.request). */
export function socketAddress(c: Context<AppEnv>): string | undefined {
  return c.env?.incoming?.socket?.remoteAddress;
}

/**
 * The request target exactly as it arrived: the router signs the raw path and query it
 * forwarded, and the URL Hono builds may normalise it (dot segments, percent-encoding).
 */
function rawPathAndQuery(c: Context<AppEnv>): string {
  const raw = c.env?.incoming?.url;
  if (raw !== undefined) return raw;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/**
 * Whether the global router vouches for this request. Without a shared secret there is
 * nothing to check a proof against, so a proof is then treated as absent, not as forged.
 */
export function forwardingVerdict(c: Context<AppEnv>, secret: GatewaySecret | undefined, nowSeconds: number): ForwardingVerdict {
  const proof = c.req.header(FORWARDED_PROOF_HEADER);
  if (proof === undefined || !secret) return { kind: "absent" };
  const forwardedFor = c.req.header("x-forwarded-for") ?? "";
  const routed = c.req.header(ROUTED_CUSTOMER_HEADER) ?? "";
  const country = c.req.header(c.var.deps.config.sourceCountryHeader) ?? "";
  const check = verifyForwardedRequest(
    secret,
    proof,
    {
      method: c.req.method,
      pathAndQuery: rawPathAndQuery(c),
      forwardedFor,
      forwardedHost: c.req.header("x-forwarded-host") ?? "",
      forwardedProto: c.req.header("x-forwarded-proto") ?? "",
      routedCustomerId: routed,
      sourceCountry: country,
    },
    nowSeconds,
  );
  if (!check.ok) return { kind: "invalid", reason: check.reason };
  // The router appends the peer it saw; earlier entries came from the client and prove nothing.
  const clientAddress = forwardedFor.split(",").map((s) => s.trim()).filter(Boolean).at(-1);
  return { kind: "valid", clientAddress, routedCustomerId: routed || undefined, sourceCountry: country || undefined };
}
