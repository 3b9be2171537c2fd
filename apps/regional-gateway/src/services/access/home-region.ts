import { AppError, apiError, INTERNAL_SIGNATURE_HEADER, REGION_ID_RE, signInternalRequest } from "@s3gw/core";
import { z } from "zod";
import type { Deps } from "../../env.ts";

const TIMEOUT_MS = 3_000;

type RouterDeps = Pick<Deps, "config" | "clock">;

/** What the global router says about a customer: never routed, or homed in one region. */
export type RouterHome = { routed: false } | { routed: true; primaryRegion: string };

const answerSchema = z.object({ customer_id: z.string(), primary_region: z.string().regex(REGION_ID_RE) });

/**
 * Asks the global router, over the signed internal channel (the same signature as the
 * access-key registrations), where it homes a customer. Undefined when no router is
 * configured; a router that cannot be reached, refuses the signature or answers nonsense is a 503.
 */
export async function lookupRouterHome(deps: RouterDeps, customerId: string): Promise<RouterHome | undefined> {
  const { globalRouterUrl, gatewaySharedSecret } = deps.config;
  if (!globalRouterUrl) return undefined;
  const what = `cannot confirm customer ${customerId}'s home region with the global router`;
  if (!gatewaySharedSecret) throw apiError.unavailable(`${what}: GATEWAY_SHARED_SECRET is not configured`);
  const url = new URL(`${globalRouterUrl}/internal/routing/customers/${encodeURIComponent(customerId)}`);
  const signature = signInternalRequest(gatewaySharedSecret, { method: "GET", path: url.pathname, body: "" }, deps.clock.now().getTime() / 1000);
  let res: Response;
  try {
    res = await fetch(url, { headers: { [INTERNAL_SIGNATURE_HEADER]: signature }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw apiError.unavailable(`${what}: ${(err as Error).message}`);
  }
  const text = await res.text().catch(() => "");
  if (res.status === 404) return { routed: false };
  if (res.status !== 200) throw apiError.unavailable(`${what}: the router answered ${res.status}`);
  let answer: z.infer<typeof answerSchema>;
  try {
    answer = answerSchema.parse(JSON.parse(text));
  } catch {
    throw apiError.unavailable(`${what}: the router's answer is not {customer_id, primary_region}`);
  }
  if (answer.customer_id !== customerId) throw apiError.unavailable(`${what}: the router answered for another customer`);
  return { routed: true, primaryRegion: answer.primary_region };
}

/**
 * Registration stores a profile only for a customer the router homes in this region, so a
 * region never holds (or serves) a customer whose traffic goes elsewhere. Without a router,
 * only an explicitly standalone region (ALLOW_STANDALONE_REGISTRATION) registers.
 */
export async function confirmHomedHere(deps: RouterDeps, customerId: string): Promise<{ confirmedBy: "router" | "standalone" }> {
  const regionId = deps.config.region.region_id;
  const home = await lookupRouterHome(deps, customerId);
  if (home === undefined) {
    if (deps.config.allowStandaloneRegistration) return { confirmedBy: "standalone" };
    throw new AppError(
      "HOME_REGION_UNCONFIRMED",
      503,
      `cannot register customer ${customerId}: no GLOBAL_ROUTER_URL is configured to confirm that it is homed in ${regionId} (set ALLOW_STANDALONE_REGISTRATION=true for a region without a router)`,
    );
  }
  if (!home.routed) {
    throw new AppError("CUSTOMER_NOT_ROUTED", 409, `customer ${customerId} is not routed by the global router; route it to ${regionId} first (POST /routing/customers/${customerId}?region_id=${regionId})`);
  }
  if (home.primaryRegion !== regionId) {
    throw new AppError("CUSTOMER_HOMED_ELSEWHERE", 409, `customer ${customerId} is homed in ${home.primaryRegion}, not ${regionId}: register it there`);
  }
  return { confirmedBy: "router" };
}
