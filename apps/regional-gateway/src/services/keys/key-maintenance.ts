import type { Deps } from "../../env.ts";
import { startPeriodic } from "../ops/periodic.ts";
import { executeDueCryptoShreds } from "./crypto-shred-execute.ts";
import { destroyDueKeys } from "./key-destruction.ts";
import { rewrapPass } from "./key-rewrap.ts";
import { LocalKeyProvider } from "./local-key-provider.ts";
import type { WorkerLease } from "../events/dispatch/lease.ts";

/** How often the key worker looks for due deletions, due crypto-shreds and stale wrappings. */
export const KEY_MAINTENANCE_INTERVAL_MS = 60_000;

/**
 * One pass of the key worker: due crypto-shreds first (they destroy keys whatever else is
 * pending), then keys whose deletion waiting period ended, then the re-wrap after rotations
 * (local provider only: an external KMS re-wraps on its own side).
 */
export async function runKeyMaintenance(deps: Deps) {
  const shreds = await executeDueCryptoShreds(deps);
  const destroyed = await destroyDueKeys(deps);
  const rewrap = deps.keys instanceof LocalKeyProvider ? await rewrapPass(deps, deps.keys) : { rewrapped: 0, skipped: 0 };
  return { shreds: shreds.map((s) => ({ request_id: s.request.requestId, customer_id: s.request.customerId, status: s.status })), destroyed, ...rewrap };
}

/** Started from the composition root; the returned function stops it. */
export function startKeyMaintenance(deps: Deps, intervalMs = KEY_MAINTENANCE_INTERVAL_MS, lease?: WorkerLease): () => void {
  return startPeriodic("key maintenance", async () => void (await runKeyMaintenance(deps)), intervalMs, deps.logger, { runNow: false, lease });
}
