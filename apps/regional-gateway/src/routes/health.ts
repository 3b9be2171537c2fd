import { count } from "drizzle-orm";
import { customers } from "@s3gw/schema-regional";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";

export async function healthHandler(c: Context<AppEnv>): Promise<Response> {
  const { deps, op } = c.var;
  op.operation = "Health";
  const [pinged, storage] = await Promise.all([deps.ping(), deps.storage.health().catch((err: Error) => ({ ok: false, detail: err.message, freeBytes: undefined }))]);
  let dbOk = pinged;
  let customerCount: number | null = null;
  if (dbOk) {
    // The database may go away between the ping and this: that is "down", not a 500.
    const rows = await deps.db.select({ n: count() }).from(customers).catch(() => undefined);
    if (rows) customerCount = rows[0]?.n ?? 0;
    else dbOk = false;
  }
  const healthy = dbOk && storage.ok;
  const region = deps.config.region;
  return c.json(
    {
      status: healthy ? "healthy" : "unhealthy",
      service: "regional-gateway",
      region: region.region_id,
      region_name: region.name,
      jurisdiction: region.country,
      customer_count: customerCount,
      database: dbOk ? "ok" : "down",
      storage: {
        status: storage.ok ? "ok" : "down",
        provider_id: deps.storage.location.providerId,
        type: deps.storage.type,
        country: deps.storage.location.country,
        ...(storage.freeBytes !== undefined ? { free_bytes: storage.freeBytes } : {}),
        ...(storage.ok ? {} : { detail: storage.detail ?? "storage probe failed" }),
      },
      timestamp: deps.clock.now().toISOString(),
    },
    healthy ? 200 : 503,
    healthy ? {} : { "retry-after": "5" },
  );
}
