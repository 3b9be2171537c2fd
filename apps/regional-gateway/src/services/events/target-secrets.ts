import { apiError, type MasterKeyRing } from "@s3gw/core";
import type { RegionalConfig } from "../../config.ts";

/**
 * A notification target's secret (the webhook signing secret, NATS credentials as JSON) sealed
 * by the region's master key ring, bound to the target id: a sealed value copied onto another
 * target's row does not open.
 */
const context = (targetId: string) => `notification-target:${targetId}`;

export function targetKeyRing(config: Pick<RegionalConfig, "masterKeys">): MasterKeyRing {
  if (!config.masterKeys) throw apiError.unavailable("no MASTER_KEYS configured: notification target secrets cannot be sealed or opened");
  return config.masterKeys;
}

export function sealTargetSecret(ring: MasterKeyRing, targetId: string, secret: string): string {
  return ring.seal(secret, context(targetId));
}

export function openTargetSecret(ring: MasterKeyRing, targetId: string, sealed: string): string {
  return ring.open(sealed, context(targetId));
}
