import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RegionHealth } from "../region-health.ts";
import type { RoutingCache } from "../routing/cache.ts";

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface RoutedOutcome {
  regionId: string;
  status: number;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
}

export interface RouterMetricsSources {
  routing: Pick<RoutingCache, "stats">;
  routingLog: { stats(): { buffered: number; written: number; dropped: number } };
  regionHealth: Pick<RegionHealth, "statuses">;
  /** Absent in tests that build metrics without a breaker. */
  circuits?: { states(): Array<{ region_id: string; state: "closed" | "open"; endpoints?: Array<{ endpoint: string; state: "closed" | "open" }> }> } | undefined;
}

interface RegionSeries {
  requests: Map<number, Counter.Internal>;
  duration: Histogram.Internal<"region">;
  bytesIn: Counter.Internal;
  bytesOut: Counter.Internal;
}

/**
 * The router's Prometheus metrics on a registry of its own (one per app instance; no global
 * default registry). Labels are region and status: customer ids never become labels.
 * Cache and routing-log figures are read from their owners at scrape time.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"region" | "status">;
  readonly #duration: Histogram<"region">;
  readonly #bytesIn: Counter<"region">;
  readonly #bytesOut: Counter<"region">;
  readonly #series = new Map<string, RegionSeries>();

  constructor(sources: RouterMetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({ name: "s3gw_router_requests_total", help: "S3 requests by home region and final status; region \"none\": refused before routing (unknown customer, routing down).", labelNames: ["region", "status"], registers });
    this.#duration = new Histogram({
      name: "s3gw_router_request_duration_seconds",
      help: "Routed S3 exchanges, from arrival until the last byte was relayed, by home region.",
      labelNames: ["region"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#bytesIn = new Counter({ name: "s3gw_router_bytes_in_total", help: "Request body bytes relayed to regions (declared Content-Length of successful exchanges).", labelNames: ["region"], registers });
    this.#bytesOut = new Counter({ name: "s3gw_router_bytes_out_total", help: "Response body bytes relayed to clients (declared Content-Length of successful exchanges).", labelNames: ["region"], registers });
    // The cache counts for itself; these mirror its monotonic totals at scrape time.
    new Counter({
      name: "s3gw_router_routing_cache_hits_total",
      help: "Customer lookups answered from the in-memory routing map.",
      registers,
      collect() {
        this.reset();
        this.inc(sources.routing.stats().hits);
      },
    });
    new Counter({
      name: "s3gw_router_routing_cache_misses_total",
      help: "Customer lookups not in the routing map (asked the database or the negative cache).",
      registers,
      collect() {
        this.reset();
        this.inc(sources.routing.stats().misses);
      },
    });
    new Gauge({
      name: "s3gw_router_routing_cache_entries",
      help: "Customers in the in-memory routing map.",
      registers,
      collect() {
        this.set(sources.routing.stats().entries);
      },
    });
    new Gauge({
      name: "s3gw_router_routing_log_queue_depth",
      help: "Routing-log rows buffered, not yet written to the global database.",
      registers,
      collect() {
        this.set(sources.routingLog.stats().buffered);
      },
    });
    new Counter({
      name: "s3gw_router_routing_log_dropped_total",
      help: "Routing-log rows dropped because the buffer was full or the database unreachable at shutdown.",
      registers,
      collect() {
        this.reset();
        this.inc(sources.routingLog.stats().dropped);
      },
    });
    new Gauge({
      name: "s3gw_router_region_up",
      help: "1 if the region's gateway answered its health probe (cached a few seconds), else 0.",
      labelNames: ["region"],
      registers,
      async collect() {
        for (const r of await sources.regionHealth.statuses()) this.set({ region: r.region_id }, r.status === "up" ? 1 : 0);
      },
    });
    new Gauge({
      name: "s3gw_router_region_circuit_open",
      help: "1 while the region's circuit is open (routed requests answered 503 at once), else 0.",
      labelNames: ["region"],
      registers,
      collect() {
        for (const c of sources.circuits?.states() ?? []) this.set({ region: c.region_id }, c.state === "open" ? 1 : 0);
      },
    });
    new Gauge({
      name: "s3gw_router_endpoint_circuit_open",
      help: "1 while the circuit of one gateway of the region is open (the balancer sends it nothing), else 0.",
      labelNames: ["region", "endpoint"],
      registers,
      collect() {
        for (const c of sources.circuits?.states() ?? []) for (const e of c.endpoints ?? []) this.set({ region: c.region_id, endpoint: e.endpoint }, e.state === "open" ? 1 : 0);
      },
    });
  }

  observe(o: RoutedOutcome): void {
    const region = this.#byRegion(o.regionId);
    let requests = region.requests.get(o.status);
    if (!requests) region.requests.set(o.status, (requests = this.#requests.labels(o.regionId, String(o.status))));
    requests.inc();
    region.duration.observe(Math.max(0, o.durationMs) / 1000);
    if (o.bytesIn > 0) region.bytesIn.inc(o.bytesIn);
    if (o.bytesOut > 0) region.bytesOut.inc(o.bytesOut);
  }

  /**
   * The labelled series of one region, looked up once: prom-client hashes the label set on
   * every labelled call otherwise. Bounded by the topology's regions (plus "none") and the
   * HTTP statuses seen.
   */
  #byRegion(regionId: string): RegionSeries {
    let series = this.#series.get(regionId);
    if (!series) {
      series = {
        requests: new Map(),
        duration: this.#duration.labels(regionId),
        bytesIn: this.#bytesIn.labels(regionId),
        bytesOut: this.#bytesOut.labels(regionId),
      };
      this.#series.set(regionId, series);
    }
    return series;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
