import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { socketAddress } from "../../forwarding-proof.ts";
import type { EventOrigin } from "../../services/events/object-events.ts";

/**
 * Who made an S3 request, as its object event reports it: the principal the audit row names,
 * the client address (the one the global router vouches for, else the socket's) and the request id.
 */
export function eventOrigin(c: Context<AppEnv>): EventOrigin {
  const op = c.get("op"), requestId = c.get("requestId");
  return {
    requestId,
    principalId: op.principal ?? (op.customerId ? `customer:${op.customerId}` : null),
    sourceIp: c.get("clientAddress") ?? socketAddress(c) ?? null,
  };
}
