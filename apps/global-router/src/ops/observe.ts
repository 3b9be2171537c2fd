import type { RouterMetrics, RoutedOutcome } from "./metrics.ts";
import type { RegionTraffic } from "./traffic.ts";

/** Feeds one finished S3 exchange to the dashboard's rolling windows and to the Prometheus metrics. */
export function observeRouted(deps: { traffic: RegionTraffic; metrics: RouterMetrics }, o: RoutedOutcome & { at: number }): void {
  deps.traffic.observe(o);
  deps.metrics.observe(o);
}

/** A body length from a Content-Length value; absent or malformed counts as nothing. */
export function declaredLength(value: string | number | string[] | undefined | null): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
