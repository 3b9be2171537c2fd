import { apiError, INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import type { Deps } from "../../env.ts";

const TIMEOUT_MS = 5_000;

type RouterDeps = Pick<Deps, "config" | "clock" | "logger">;

/**
 * Claims a public bucket name for a customer at the global router (it routes anonymous reads
 * by it). Idempotent. A name another customer holds is a 409 with the router's message; an
 * unreachable router a 503. Nothing to do without a router (a lone region).
 */
export async function registerPublicBuckets(deps: RouterDeps, customerId: string, buckets: readonly string[]): Promise<void> {
  for (const bucket of buckets) await callRouter(deps, "PUT", bucket, customerId);
}

/**
 * Releases names the customer's rule no longer opens. Called after the rule is saved, so a
 * failure is logged and returned, not thrown: a stale entry only routes anonymous reads to this
 * region, which refuses them by its own rule; the name stays reserved until released.
 */
export async function unregisterPublicBuckets(deps: RouterDeps, customerId: string, buckets: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const bucket of buckets) {
    try {
      await callRouter(deps, "DELETE", bucket, customerId);
    } catch (err) {
      deps.logger.warn({ bucket, customerId, err: (err as Error).message }, "could not release a public bucket name at the global router");
      failed.push(bucket);
    }
  }
  return failed;
}

async function callRouter(deps: RouterDeps, method: "PUT" | "DELETE", bucket: string, customerId: string): Promise<void> {
  const { globalRouterUrl, gatewaySharedSecret } = deps.config;
  if (!globalRouterUrl) return;
  const what = `${method === "PUT" ? "register" : "release"} the public bucket ${bucket} with the global router`;
  if (!gatewaySharedSecret) throw apiError.unavailable(`cannot ${what}: GATEWAY_SHARED_SECRET is not configured`);
  const url = new URL(`${globalRouterUrl}/internal/public-buckets/${encodeURIComponent(bucket)}`);
  const body = JSON.stringify({ customer_id: customerId });
  const signature = signInternalRequest(gatewaySharedSecret, { method, path: url.pathname, body }, deps.clock.now().getTime() / 1000);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { [INTERNAL_SIGNATURE_HEADER]: signature, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw apiError.unavailable(`cannot ${what}: ${(err as Error).message}`);
  }
  const message = routerMessage(await res.text().catch(() => ""));
  if (res.status === 409 && method === "PUT") throw apiError.conflict(message ?? `the public bucket name ${bucket} is taken`);
  if (!res.ok) throw apiError.unavailable(`cannot ${what}: the router answered ${res.status}${message ? ` (${message})` : ""}`);
}

function routerMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof message === "string" ? message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}
