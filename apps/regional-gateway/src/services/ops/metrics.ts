import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RequestStats } from "./request-stats.ts";
import type { EventQueueStats } from "../events/dispatch/queue-stats.ts";

export type EventDeliveryOutcome = "delivered" | "failed" | "dead" | "refused";

// Seconds; S3 latencies run from sub-millisecond metadata reads to minutes-long uploads.
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface RequestOutcome {
  at: Date;
  method: string;
  operation: string;
  status: number;
  durationMs: number;
  /** Body bytes the operation moved (op.bytes): received for writes, sent for reads. */
  bytes: number;
}

/**
 * The gateway's Prometheus metrics, on a registry of its own (one per app instance, so two
 * gateways in one process, as in tests, never share or double-register). Labels are
 * operation and status only: no customer id, bucket or key ever becomes a label, which keeps
 * /metrics safe to expose without authentication and its cardinality bounded.
 */
const COMMAND_TYPES = ["subject.erasure", "entity.deleted", "customer.offboard"];

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"operation" | "status">;
  private readonly duration: Histogram<"operation" | "status">;
  private readonly bytesIn: Counter;
  private readonly bytesOut: Counter;
  private readonly dataKeys: Counter<"operation">;
  private readonly eventDeliveries: Counter<"target_id" | "outcome">;
  private readonly commands: Counter<"type" | "outcome">;

  /**
   * `keyStates`: customer keys by state; `eventQueue`: the region's event queue (both counted in
   * the database when scraped). Event metrics are labelled by target id: targets are few and
   * registered by the admin, never by a tenant, so the cardinality stays bounded.
   */
  constructor(opts: { region: string; auditQueueDepth: () => number; keyStates?: () => Promise<Record<string, number>>; eventQueue?: () => Promise<EventQueueStats> }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ region: opts.region });
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: "s3gw_requests_total", help: "Requests answered, by operation and HTTP status.", labelNames: ["operation", "status"], registers });
    this.duration = new Histogram({
      name: "s3gw_request_duration_seconds",
      help: "Time until the answer's headers were ready, by operation and HTTP status.",
      labelNames: ["operation", "status"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.bytesIn = new Counter({ name: "s3gw_bytes_in_total", help: "Object bytes received by successful writes.", registers });
    this.bytesOut = new Counter({ name: "s3gw_bytes_out_total", help: "Object bytes sent by successful reads.", registers });
    new Gauge({
      name: "s3gw_audit_queue_depth",
      help: "Operations-log rows waiting to be committed.",
      registers,
      collect() {
        this.set(opts.auditQueueDepth());
      },
    });
    this.dataKeys = new Counter({ name: "s3gw_data_keys_total", help: "Data keys generated and decrypted by this instance's key provider.", labelNames: ["operation"], registers });
    const keyStates = opts.keyStates;
    if (keyStates) {
      new Gauge({
        name: "s3gw_customer_keys",
        help: "Customer keys (KEKs) of the region by state.",
        labelNames: ["state"],
        registers,
        async collect() {
          // A database outage must not fail the whole scrape: the gauge keeps its last values.
          const counts = await keyStates().catch(() => undefined);
          if (!counts) return;
          this.reset();
          for (const state of ["Enabled", "Disabled", "PendingDeletion", "Destroyed"]) this.set({ state }, counts[state] ?? 0);
        },
      });
    }
    this.eventDeliveries = new Counter({
      name: "s3gw_event_deliveries_total",
      help: "Event delivery outcomes by target: delivered, failed (an attempt; failures per target), dead (dead-lettered), refused (residency).",
      labelNames: ["target_id", "outcome"],
      registers,
    });
    // Types and outcomes are fixed sets (an unknown type is counted as "unknown"): bounded cardinality.
    this.commands = new Counter({
      name: "s3gw_commands_total",
      help: "Commands consumed from JetStream by type and outcome: done, duplicate, refused, failed (an attempt, retried), dead_lettered.",
      labelNames: ["type", "outcome"],
      registers,
    });
    if (opts.eventQueue) this.registerEventQueueGauges(opts.eventQueue, registers);
  }

  private registerEventQueueGauges(eventQueue: () => Promise<EventQueueStats>, registers: Registry[]): void {
    // One scrape asks the database once for all three gauges.
    let cached: { at: number; stats: Promise<EventQueueStats | undefined> } | undefined;
    const stats = () => {
      if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), stats: eventQueue().catch(() => undefined) };
      return cached.stats;
    };
    new Gauge({
      name: "s3gw_event_lag_seconds",
      help: "Age of the oldest pending event delivery (0 when none is pending).",
      registers,
      async collect() {
        const s = await stats();
        if (s) this.set(s.lagSeconds);
      },
    });
    new Gauge({
      name: "s3gw_event_outbox_backlog",
      help: "Outbox events not fanned out into deliveries yet.",
      registers,
      async collect() {
        const s = await stats();
        if (s) this.set(s.backlog);
      },
    });
    new Gauge({
      name: "s3gw_event_dead_letters",
      help: "Dead event deliveries (replayable), by target.",
      labelNames: ["target_id"],
      registers,
      async collect() {
        const s = await stats();
        if (!s) return;
        this.reset();
        for (const [targetId, n] of Object.entries(s.deadByTarget)) this.set({ target_id: targetId }, n);
      },
    });
  }

  countEventDelivery(targetId: string, outcome: EventDeliveryOutcome, n = 1): void {
    this.eventDeliveries.inc({ target_id: targetId, outcome }, n);
  }

  countCommand(type: string, outcome: "done" | "duplicate" | "refused" | "failed" | "dead_lettered"): void {
    this.commands.inc({ type: COMMAND_TYPES.includes(type) ? type : "unknown", outcome });
  }

  countDataKey(operation: "generate" | "decrypt"): void {
    this.dataKeys.inc({ operation });
  }

  observe(o: RequestOutcome): void {
    const labels = { operation: o.operation, status: String(o.status) };
    this.requests.inc(labels);
    this.duration.observe(labels, Math.max(0, o.durationMs) / 1000);
    if (o.bytes > 0) {
      if (o.method === "PUT" || o.method === "POST") this.bytesIn.inc(o.bytes);
      else if (o.method === "GET") this.bytesOut.inc(o.bytes);
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Feeds one answered request to both the dashboard's rolling window and the Prometheus metrics. */
export function observeRequest(deps: { stats: RequestStats; metrics: GatewayMetrics }, o: RequestOutcome): void {
  deps.stats.observe(o);
  deps.metrics.observe(o);
}
