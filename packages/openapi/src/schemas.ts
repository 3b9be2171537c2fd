import { z } from "zod";

/** core's WindowSummary: one window of request outcomes, as both layers' dashboards give it. */
export const windowSummarySchema = z.strictObject({
  window_minutes: z.number().int(),
  requests: z.number().int(),
  requests_per_minute: z.number(),
  server_errors: z.number().int(),
  client_errors: z.number().int(),
  /** Share of requests answered ≥ 500. */
  error_rate: z.number(),
  /** Share of requests answered 4xx. */
  client_error_rate: z.number(),
  latency_ms: z.strictObject({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
});
