import { z } from "zod";
import { errorSummary } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { LookupCache } from "./lookup-cache.ts";

/** The global database's channel for routing changes (migration 0002_routing_notify: a trigger on each routing table). */
export const ROUTING_CHANNEL = "s3gw_routing";
/** application_name prefix of each router instance's LISTEN connection. */
export const ROUTING_LISTENER_NAME = "s3gw-routing-listener";

const payloadSchema = z.union([
  z.strictObject({ t: z.literal("*") }),
  z.strictObject({ t: z.enum(["customer", "access_key", "public_bucket"]), k: z.string().min(1).max(1024) }),
]);

export interface RoutingMapsToInvalidate {
  routing: LookupCache<string>;
  accessKeys: LookupCache<string>;
  publicBuckets: LookupCache<string>;
}

/**
 * What a router instance does with the routing notifications: re-read the changed entry,
 * reload everything on TRUNCATE, and reload everything each
 * time LISTEN is (re)established, since what was sent while it was down is lost. The periodic
 * refresh keeps running regardless: it bounds staleness should notifications be lost unnoticed.
 */
export function routingInvalidation(maps: RoutingMapsToInvalidate, logger: Logger) {
  const all = [maps.routing, maps.accessKeys, maps.publicBuckets];
  const byKind = { customer: maps.routing, access_key: maps.accessKeys, public_bucket: maps.publicBuckets };
  const reloadAll = (why: string) =>
    void Promise.all(all.map((m) => m.reload())).catch((err: unknown) => {
      logger.warn({ error: errorSummary(err), why }, "routing maps reload failed; the periodic refresh retries");
    });
  return {
    onNotification(payload: string): void {
      let parsed: z.infer<typeof payloadSchema> | undefined;
      try {
        parsed = payloadSchema.parse(JSON.parse(payload));
      } catch {
        logger.warn({ payload: payload.slice(0, 200) }, "routing notification not understood; reloading the routing maps");
        reloadAll("unreadable notification");
        return;
      }
      if (parsed.t === "*") reloadAll("routing table truncated");
      else void byKind[parsed.t].refreshKey(parsed.k);
    },
    onLive(live: boolean): void {
      if (live) reloadAll("LISTEN established");
    },
  };
}
