import { s3Error } from "@s3gw/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { forwardingVerdict, socketAddress } from "../forwarding-proof.ts";

/**
 * Decides which forwarded headers an S3 request may be believed on: x-forwarded-* and
 * x-s3gw-* only with a valid proof from the global router, otherwise the socket speaks.
 * A proof that is present but wrong is someone imitating the router: refused and logged.
 */
export const forwarded = createMiddleware<AppEnv>(async (c, next) => {
  const deps = c.get("deps"), op = c.get("op"), logger = c.get("logger");
  const verdict = forwardingVerdict(c, deps.config.gatewaySharedKey ?? deps.config.gatewaySharedSecret, deps.clock.now().getTime() / 1000);
  const valid = verdict.kind === "valid";
  c.set("forwardedByRouter", valid);
  c.set("clientAddress", (valid ? verdict.clientAddress : undefined) ?? socketAddress(c));
  c.set("routedCustomerId", valid ? verdict.routedCustomerId : undefined);
  c.set("routedSourceCountry", valid ? verdict.sourceCountry : undefined);
  if (verdict.kind === "invalid") {
    op.operation = "VerifyForwardingProof";
    op.info = { reason: "invalid_forwarding_proof", detail: verdict.reason };
    logger.warn({ reason: verdict.reason, peer: socketAddress(c) }, "refused a request with an invalid global-router forwarding proof");
    throw s3Error("AccessDenied", "Access Denied: invalid global-router forwarding proof");
  }
  await next();
});
