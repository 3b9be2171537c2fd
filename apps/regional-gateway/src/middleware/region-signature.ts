import { apiError, GATEWAY_SIGNATURE_WINDOW_SECONDS, INTERNAL_SIGNATURE_HEADER, verifyInternalRequest } from "@s3gw/core";
import { internalRequestNonces } from "@s3gw/schema-regional";
import { lt } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";

/**
 * Region-to-region calls (/internal/moves): signed with the shared secret over method, path,
 * time and `signedText` (the JSON body, or an object's framed metadata), within the signature
 * window, and each signature accepted once: the window's signatures are kept in the database,
 * so a replay is refused on every gateway of the region. The caller names itself in the signed
 * text (`from_region`), checked by the handlers against the move they belong to. Without a
 * secret the channel is off (503), never open.
 */
export function requireRegionSignature(signedText: (c: Context<AppEnv>) => Promise<string>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await verifyRegionCall(c, await signedText(c));
    await next();
  });
}

/** The check itself, for a handler that reads what is signed from its body's front (an object's framed metadata). */
export async function verifyRegionCall(c: Context<AppEnv>, signedText: string): Promise<void> {
  const { deps, op } = c.var;
  const secret = deps.config.gatewaySharedSecret;
  if (!secret) throw apiError.unavailable("region-to-region calls are disabled: GATEWAY_SHARED_SECRET is not configured");
  const header = c.req.header(INTERNAL_SIGNATURE_HEADER);
  const now = deps.clock.now();
  const check = verifyInternalRequest(secret, header, { method: c.req.method, path: new URL(c.req.url).pathname, body: signedText }, now.getTime() / 1000);
  if (!check.ok) {
    op.info = { reason: check.reason };
    c.var.logger.warn({ method: c.req.method, reason: check.reason }, "region-to-region call refused");
    throw apiError.unauthorized(`internal request refused: ${check.reason}`);
  }
  // Older than twice the window: no signature that old passes verification any more.
  await deps.db.delete(internalRequestNonces).where(lt(internalRequestNonces.seenAt, new Date(now.getTime() - 2 * GATEWAY_SIGNATURE_WINDOW_SECONDS * 1000)));
  const fresh = await deps.db.insert(internalRequestNonces).values({ signature: header!.trim(), seenAt: now }).onConflictDoNothing().returning({ s: internalRequestNonces.signature });
  if (fresh.length === 0) {
    op.info = { reason: "replayed" };
    c.var.logger.warn({ method: c.req.method }, "region-to-region call refused: replayed");
    throw apiError.unauthorized("internal request refused: this signed request was already received (replay)");
  }
}
