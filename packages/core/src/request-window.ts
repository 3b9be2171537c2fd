/**
 * Request outcomes of the last hour, for the ops dashboards of both layers: a ring of 60
 * one-minute buckets, each with counts and a log-scale latency histogram. Memory is fixed
 * (60 × ~190 counters, plus whatever per-minute detail a caller attaches) whatever the traffic.
 * Pure: every time is an epoch-millisecond argument, the clock stays with the caller.
 *
 * Error accounting: `error_rate` is the share of requests answered with a status ≥ 500 (the
 * server failed); `client_error_rate` the share answered 4xx (refused or wrong requests,
 * 401/403 denials, 499 for clients that went away). They never overlap.
 */

const MINUTE_MS = 60_000;
/** The longest window a RequestWindow can report, in minutes. */
export const WINDOW_SLOTS = 60;
// Latency bucket i holds durations in (BASE·G^(i-1), BASE·G^i] ms: ~5% error at any scale,
// from 0.1 ms up to over an hour in 185 buckets.
const BASE_MS = 0.1;
const GROWTH = 1.1;
const LATENCY_BUCKETS = 185;
const LOG_GROWTH = Math.log(GROWTH);

export interface OutcomeCounts { requests: number; serverErrors: number; clientErrors: number }

export interface MinuteBucket<D> extends OutcomeCounts {
  minute: number;
  latency: Uint32Array;
  minMs: number;
  maxMs: number;
  /** The caller's own per-minute data (say, counts per operation), made fresh for each minute. */
  detail: D;
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
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

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

export const emptyCounts = (): OutcomeCounts => ({ requests: 0, serverErrors: 0, clientErrors: 0 });

/** Counts one answer: 5xx and 4xx apart, everything else only as a request. */
export function countOutcome(c: OutcomeCounts, status: number): void {
  c.requests++;
  if (status >= 500) c.serverErrors++;
  else if (status >= 400) c.clientErrors++;
}

/** A requested window length clamped to 1..WINDOW_SLOTS whole minutes. */
export function windowSpan(minutes: number): number {
  return Math.min(WINDOW_SLOTS, Math.max(1, Math.floor(minutes)));
}

/** Totals and percentiles over minute buckets (from one window or several) spanning `span` minutes. */
export function summariseMinutes(minutes: ReadonlyArray<MinuteBucket<unknown>>, span: number): WindowSummary {
  const total = emptyCounts();
  const latency = new Uint32Array(LATENCY_BUCKETS);
  let minMs = Infinity;
  let maxMs = 0;
  for (const m of minutes) {
    total.requests += m.requests;
    total.serverErrors += m.serverErrors;
    total.clientErrors += m.clientErrors;
    for (let i = 0; i < LATENCY_BUCKETS; i++) latency[i]! += m.latency[i]!;
    minMs = Math.min(minMs, m.minMs);
    maxMs = Math.max(maxMs, m.maxMs);
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
  };
}

/** One stream of requests' last hour. `D` is optional per-minute detail the caller fills in. */
export class RequestWindow<D = undefined> {
  readonly #slots: Array<MinuteBucket<D> | undefined> = new Array(WINDOW_SLOTS);
  readonly #newDetail: () => D;

  constructor(newDetail: () => D = () => undefined as D) {
    this.#newDetail = newDetail;
  }

  /**
   * Counts one answered request at epoch-ms `at` and returns its minute bucket, for the
   * caller's detail; undefined when the minute is already forgotten.
   */
  observe(at: number, status: number, durationMs: number): MinuteBucket<D> | undefined {
    const minute = Math.floor(at / MINUTE_MS);
    const index = ((minute % WINDOW_SLOTS) + WINDOW_SLOTS) % WINDOW_SLOTS;
    let b = this.#slots[index];
    if (!b || b.minute !== minute) {
      // A sample older than the slot's current minute belongs to a minute already forgotten.
      if (b && b.minute > minute) return undefined;
      b = { minute, ...emptyCounts(), latency: new Uint32Array(LATENCY_BUCKETS), minMs: Infinity, maxMs: 0, detail: this.#newDetail() };
      this.#slots[index] = b;
    }
    const ms = Math.max(0, durationMs);
    countOutcome(b, status);
    b.latency[latencyBucket(ms)]!++;
    b.minMs = Math.min(b.minMs, ms);
    b.maxMs = Math.max(b.maxMs, ms);
    return b;
  }

  /** Minute buckets in (now - span, now], the current partial minute included. */
  minutes(now: number, span: number): Array<MinuteBucket<D>> {
    const current = Math.floor(now / MINUTE_MS);
    return this.#slots.filter((b): b is MinuteBucket<D> => b !== undefined && b.minute <= current && b.minute > current - span);
  }

  /** The last `minutes` minutes up to `now` (clamped to 1..60). */
  summary(now: number, minutes: number): WindowSummary {
    const span = windowSpan(minutes);
    return summariseMinutes(this.minutes(now, span), span);
  }
}
