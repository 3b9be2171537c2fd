import { apiError, INTERNAL_SIGNATURE_HEADER, verifyInternalRequest } from "@s3gw/core";
import { createMiddleware } from "hono/factory";
import type { Clock } from "../clock.ts";
import type { AppEnv } from "../env.ts";

/**
 * /internal is for regions only: they sign each call with the shared secret over method,
 * path, time and body, so nobody else can point an access key at a customer or learn where
 * a customer is homed. Without a secret the internal API is off (503), never open.
 */
export function requireRegionSignature(deps: { config: { gatewaySharedSecret?: string | undefined }; clock: Clock }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const secret = deps.config.gatewaySharedSecret;
    if (!secret) throw apiError.unavailable("the internal API is disabled: the router has no GATEWAY_SHARED_SECRET configured");
    const body = await c.req.text();
    const check = verifyInternalRequest(
      secret,
      c.req.header(INTERNAL_SIGNATURE_HEADER),
      { method: c.req.method, path: new URL(c.req.url).pathname, body },
      deps.clock.now() / 1000,
    );
    if (!check.ok) {
      c.get("logger").warn({ method: c.req.method, reason: check.reason }, "internal request refused");
      throw apiError.unauthorized(`internal request refused: ${check.reason}`);
    }
    await next();
  });
}
