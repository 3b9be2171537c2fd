import { RequestWindow, summariseMinutes, windowSpan, type WindowSummary } from "@s3gw/core";

/**
 * Routed requests of the last hour per region, in memory, for the ops dashboard: one rolling
 * window from core per region. Memory is fixed per region (regions come from the topology),
 * whatever the traffic.
 *
 * `error_rate` is the share of answers ≥ 500 (region down, timing out or failing);
 * `client_error_rate` the share of 4xx (refused requests, and 499 for clients that went away).
 */

/** Requests refused before a region was chosen (unknown customer, routing unavailable). */
export const UNROUTED = "none";

export interface RoutedSample {
  /** Epoch milliseconds (the router's clock). */
  at: number;
  regionId: string;
  status: number;
  durationMs: number;
}

export type TrafficSummary = WindowSummary;

/** Per-region rolling windows, plus one for requests the router refused before routing. */
export class RegionTraffic {
  readonly #byRegion = new Map<string, RequestWindow>();

  observe(s: RoutedSample): void {
    let w = this.#byRegion.get(s.regionId);
    if (!w) this.#byRegion.set(s.regionId, (w = new RequestWindow()));
    w.observe(s.at, s.status, s.durationMs);
  }

  /** One region's (or UNROUTED's) last `minutes` minutes. */
  window(regionId: string, now: number, minutes: number): TrafficSummary {
    const span = windowSpan(minutes);
    return summariseMinutes(this.#byRegion.get(regionId)?.minutes(now, span) ?? [], span);
  }

  /** All routed requests (UNROUTED excluded) of the last `minutes` minutes. */
  total(now: number, minutes: number): TrafficSummary {
    const span = windowSpan(minutes);
    const all = [...this.#byRegion].filter(([id]) => id !== UNROUTED).flatMap(([, w]) => w.minutes(now, span));
    return summariseMinutes(all, span);
  }
}
