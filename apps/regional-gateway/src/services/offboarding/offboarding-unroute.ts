import { apiError, INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import type { Deps } from "../../env.ts";

const TIMEOUT_MS = 5_000;

/**
 * Asks the global router to forget the customer (routing, access key ids, public bucket names)
 * over the signed internal channel, naming this region in the signed body: the router unroutes
 * only a customer routed to the calling region (403 otherwise, a conflict here). Idempotent at
 * the router, so a retried step is harmless. Without GLOBAL_ROUTER_URL (a lone region) there is
 * nothing to unroute: said so in the result.
 */
export async function unrouteAtRouter(deps: Pick<Deps, "config" | "clock">, customerId: string): Promise<Record<string, unknown>> {
  const { globalRouterUrl, gatewaySharedSecret } = deps.config;
  if (!globalRouterUrl) return { skipped: "no global router configured (GLOBAL_ROUTER_URL unset)" };
  const what = `cannot unroute customer ${customerId} at the global router`;
  if (!gatewaySharedSecret) throw apiError.unavailable(`${what}: GATEWAY_SHARED_SECRET is not configured`);
  const url = new URL(`${globalRouterUrl}/internal/routing/customers/${encodeURIComponent(customerId)}`);
  const body = JSON.stringify({ calling_region: deps.config.region.region_id });
  const signature = signInternalRequest(gatewaySharedSecret, { method: "DELETE", path: url.pathname, body }, deps.clock.now().getTime() / 1000);
  let res: Response;
  try {
    res = await fetch(url, { method: "DELETE", headers: { [INTERNAL_SIGNATURE_HEADER]: signature, "content-type": "application/json" }, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw apiError.unavailable(`${what}: ${(err as Error).message}`);
  }
  const text = await res.text().catch(() => "");
  if (res.status === 403) throw apiError.conflict(`${what}: the router routes it to another region, which alone may unroute it`);
  if (!res.ok) throw apiError.unavailable(`${what}: the router answered ${res.status}`);
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    return { routed: body.routed === true, access_keys_removed: body.access_keys_removed ?? null, public_buckets_removed: body.public_buckets_removed ?? null };
  } catch {
    throw apiError.unavailable(`${what}: the router's answer is not JSON`);
  }
}
