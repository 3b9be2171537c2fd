import { apiError, INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import type { Deps } from "../../env.ts";

const TIMEOUT_MS = 5_000;

type RouterDeps = Pick<Deps, "config" | "clock">;

/**
 * Tells the global router which customer an access key id belongs to, so it can route
 * signed requests; the secret never leaves the region. False when no router is configured
 * (a lone region); a router that cannot be reached or refuses is a 503.
 */
export function registerAccessKeyRoute(deps: RouterDeps, accessKeyId: string, customerId: string): Promise<boolean> {
  return callRouter(deps, "PUT", accessKeyId, JSON.stringify({ customer_id: customerId }));
}

export function unregisterAccessKeyRoute(deps: RouterDeps, accessKeyId: string): Promise<boolean> {
  return callRouter(deps, "DELETE", accessKeyId, "");
}

async function callRouter(deps: RouterDeps, method: "PUT" | "DELETE", accessKeyId: string, body: string): Promise<boolean> {
  const { globalRouterUrl, gatewaySharedSecret } = deps.config;
  if (!globalRouterUrl) return false;
  const what = `${method === "PUT" ? "register" : "unregister"} access key ${accessKeyId} with the global router`;
  if (!gatewaySharedSecret) throw apiError.unavailable(`cannot ${what}: GATEWAY_SHARED_SECRET is not configured`);
  const url = new URL(`${globalRouterUrl}/internal/access-keys/${encodeURIComponent(accessKeyId)}`);
  const signature = signInternalRequest(gatewaySharedSecret, { method, path: url.pathname, body }, deps.clock.now().getTime() / 1000);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { [INTERNAL_SIGNATURE_HEADER]: signature, ...(method === "PUT" ? { "content-type": "application/json" } : {}) },
      body: method === "PUT" ? body : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw apiError.unavailable(`cannot ${what}: ${(err as Error).message}`);
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) throw apiError.unavailable(`cannot ${what}: the router answered ${res.status}${routerMessage(text)}`);
  return true;
}

function routerMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof message === "string" ? ` (${message.slice(0, 300)})` : "";
  } catch {
    return "";
  }
}
