/**
 * Request outcomes of the last hour, in memory, for the ops dashboard: one bucket per minute
 * (a ring of 60), each with counts and a log-scale latency histogram. Memory is fixed
 * (60 × ~190 counters plus one small map of operation names per minute) whatever the traffic.
 *
 * Error accounting: `error_rate` is the share of requests answered with a status ≥ 500 (the
 * gateway failed); `client_error_rate` is the share answered 4xx (the request was refused or
 * wrong, including 401/403 denials). They never overlap.
 */

const MINUTE_MS = 60_000;
const SLOTS = 60;
// Latency bucket i holds durations in (BASE·G^(i-1), BASE·G^i] ms: ~5% error at any scale,
// from 0.1 ms up to over an hour in 185 buckets.
const BASE_MS = 0.1;
const GROWTH = 1.1;
const LATENCY_BUCKETS = 185;
const LOG_GROWTH = Math.log(GROWTH);

export interface RequestSample {
  at: Date;
  operation: string;
  status: number;
  durationMs: number;
}

interface Counts { requests: number; serverErrors: number; clientErrors: number }

interface MinuteBucket extends Counts {
  minute: number;
  latency: Uint32Array;
  minMs: number;
  maxMs: number;
  operations: Map<string, Counts>;
}

export interface LatencyPercentiles { p50: number | null; p95: number | null; p99: number | null }

export interface WindowSummary {
  window_minutes: number;
  requests: number;
  requests_per_minute: number;
  server_errors: number;
  client_errors: number;
  /** Share of requests answered ≥ 500. */
  error_rate: number;
  /** Share of requests answered 4xx. */
  client_error_rate: number;
  latency_ms: LatencyPercentiles;
  operations: Array<{ operation: string; requests: number; server_errors: number; client_errors: number }>;
}

export function latencyBucket(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
}

/** The value reported for a bucket: the geometric middle of its bounds. */
function bucketValue(i: number): number {
  return i === 0 ? BASE_MS : BASE_MS * GROWTH ** (i - 0.5);
}

/** Percentiles from a merged histogram, clamped to the observed extremes (exact for a constant load). */
export function percentiles(histogram: Uint32Array, total: number, minMs: number, maxMs: number): LatencyPercentiles {
  if (total === 0) return { p50: null, p95: null, p99: null };
  const at = (q: number): number => {
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i]!;
      if (seen >= rank) return round(Math.min(maxMs, Math.max(minMs, bucketValue(i))));
    }
    return round(maxMs);
  };
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

function addTo(c: Counts, status: number): void {
  c.requests++;
  if (status >= 500) c.serverErrors++;
  else if (status >= 400) c.clientErrors++;
}

export class RequestStats {
  private readonly slots: Array<MinuteBucket | undefined> = new Array(SLOTS);

  observe(s: RequestSample): void {
    const minute = Math.floor(s.at.getTime() / MINUTE_MS);
    const index = ((minute % SLOTS) + SLOTS) % SLOTS;
    let b = this.slots[index];
    if (!b || b.minute !== minute) {
      // A sample older than the slot's current minute belongs to a minute already forgotten.
      if (b && b.minute > minute) return;
      b = { minute, requests: 0, serverErrors: 0, clientErrors: 0, latency: new Uint32Array(LATENCY_BUCKETS), minMs: Infinity, maxMs: 0, operations: new Map() };
      this.slots[index] = b;
    }
    const ms = Math.max(0, s.durationMs);
    addTo(b, s.status);
    b.latency[latencyBucket(ms)]!++;
    b.minMs = Math.min(b.minMs, ms);
    b.maxMs = Math.max(b.maxMs, ms);
    let op = b.operations.get(s.operation);
    if (!op) b.operations.set(s.operation, (op = { requests: 0, serverErrors: 0, clientErrors: 0 }));
    addTo(op, s.status);
  }

  /** The last `minutes` minutes up to `now`, the current (partial) minute included. */
  window(now: Date, minutes: number): WindowSummary {
    const span = Math.min(SLOTS, Math.max(1, Math.floor(minutes)));
    const current = Math.floor(now.getTime() / MINUTE_MS);
    const total: Counts = { requests: 0, serverErrors: 0, clientErrors: 0 };
    const latency = new Uint32Array(LATENCY_BUCKETS);
    const operations = new Map<string, Counts>();
    let minMs = Infinity;
    let maxMs = 0;
    for (const b of this.slots) {
      if (!b || b.minute > current || b.minute <= current - span) continue;
      total.requests += b.requests;
      total.serverErrors += b.serverErrors;
      total.clientErrors += b.clientErrors;
      for (let i = 0; i < LATENCY_BUCKETS; i++) latency[i]! += b.latency[i]!;
      minMs = Math.min(minMs, b.minMs);
      maxMs = Math.max(maxMs, b.maxMs);
      for (const [name, c] of b.operations) {
        const o = operations.get(name) ?? { requests: 0, serverErrors: 0, clientErrors: 0 };
        o.requests += c.requests;
        o.serverErrors += c.serverErrors;
        o.clientErrors += c.clientErrors;
        operations.set(name, o);
      }
    }
    const share = (n: number) => (total.requests === 0 ? 0 : round(n / total.requests, 4));
    return {
      window_minutes: span,
      requests: total.requests,
      requests_per_minute: round(total.requests / span),
      server_errors: total.serverErrors,
      client_errors: total.clientErrors,
      error_rate: share(total.serverErrors),
      client_error_rate: share(total.clientErrors),
      latency_ms: percentiles(latency, total.requests, minMs, maxMs),
      operations: [...operations]
        .map(([operation, c]) => ({ operation, requests: c.requests, server_errors: c.serverErrors, client_errors: c.clientErrors }))
        .sort((a, b) => b.requests - a.requests || a.operation.localeCompare(b.operation)),
    };
  }
}
