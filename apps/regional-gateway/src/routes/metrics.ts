import type { Context } from "hono";
import type { AppEnv } from "../env.ts";

/**
 * Prometheus exposition. Open like /health and mounted before the audit middleware: scrapes
 * every few seconds would otherwise flood the operations log, and the labels carry no
 * customer data.
 */
export async function metricsHandler(c: Context<AppEnv>): Promise<Response> {
  const { deps, op } = c.var;
  op.operation = "GetMetrics";
  return c.body(await deps.metrics.render(), 200, { "content-type": deps.metrics.contentType });
}
