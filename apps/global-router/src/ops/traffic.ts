/**
 * Routed requests of the last hour per region, in memory, for the ops dashboard: a ring of
 * 60 one-minute buckets per region, each with counts and a log-scale latency histogram.
 * Memory is fixed per region (regions come from the topology), whatever the traffic.
 *
 * `error_rate` is the share of answers ≥ 500 (region down, timing out or failing);
 * `client_error_rate` the share of 4xx (refused requests, and 499 for clients that went away).
 */

const MINUTE_MS = 60_000;
const SLOTS = 60;
// Bucket i holds (BASE·G^(i-1), BASE·G^i] ms: ~5% error from 0.1 ms to over an hour.
const BASE_MS = 0.1;
const GROWTH = 1.1;
const LATENCY_BUCKETS = 185;
const LOG_GROWTH = Math.log(GROWTH);

/** Requests refused before a region was chosen (unknown customer, routing unavailable). */
export const UNROUTED = "none";

export interface RoutedSample {
  /** Epoch milliseconds (the router's clock). */
  at: number;
  regionId: string;
  status: number;
  durationMs: number;
}

export interface TrafficSummary {
  window_minutes: number;
  requests: number;
  requests_per_minute: number;
  server_errors: number;
  client_errors: number;
  error_rate: number;
  client_error_rate: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
}

interface Minute {
  minute: number;
  requests: number;
  serverErrors: number;
  clientErrors: number;
  latency: Uint32Array;
  minMs: number;
  maxMs: number;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
}

/** One key's hour of traffic. */
class RollingWindow {
  readonly #slots: Array<Minute | undefined> = new Array(SLOTS);

  observe(s: RoutedSample): void {
    const minute = Math.floor(s.at / MINUTE_MS);
    const index = ((minute % SLOTS) + SLOTS) % SLOTS;
    let m = this.#slots[index];
    if (!m || m.minute !== minute) {
      if (m && m.minute > minute) return;
      m = { minute, requests: 0, serverErrors: 0, clientErrors: 0, latency: new Uint32Array(LATENCY_BUCKETS), minMs: Infinity, maxMs: 0 };
      this.#slots[index] = m;
    }
    const ms = Math.max(0, s.durationMs);
    m.requests++;
    if (s.status >= 500) m.serverErrors++;
    else if (s.status >= 400) m.clientErrors++;
    m.latency[bucketOf(ms)]!++;
    m.minMs = Math.min(m.minMs, ms);
    m.maxMs = Math.max(m.maxMs, ms);
  }

  /** Minutes in (now - minutes, now], the current partial minute included. */
  minutes(now: number, minutes: number): Minute[] {
    const current = Math.floor(now / MINUTE_MS);
    return this.#slots.filter((m): m is Minute => m !== undefined && m.minute <= current && m.minute > current - minutes);
  }
}

function summarise(minutes: Minute[], span: number): TrafficSummary {
  let requests = 0;
  let serverErrors = 0;
  let clientErrors = 0;
  let minMs = Infinity;
  let maxMs = 0;
  const latency = new Uint32Array(LATENCY_BUCKETS);
  for (const m of minutes) {
    requests += m.requests;
    serverErrors += m.serverErrors;
    clientErrors += m.clientErrors;
    minMs = Math.min(minMs, m.minMs);
    maxMs = Math.max(maxMs, m.maxMs);
    for (let i = 0; i < LATENCY_BUCKETS; i++) latency[i]! += m.latency[i]!;
  }
  const at = (q: number): number | null => {
    if (requests === 0) return null;
    const rank = Math.max(1, Math.ceil(q * requests));
    let seen = 0;
    for (let i = 0; i < LATENCY_BUCKETS; i++) {
      seen += latency[i]!;
      // Report the bucket's geometric middle, clamped to what was seen (exact for constant latency).
      if (seen >= rank) return round(Math.min(maxMs, Math.max(minMs, i === 0 ? BASE_MS : BASE_MS * GROWTH ** (i - 0.5))));
    }
    return round(maxMs);
  };
  const share = (n: number) => (requests === 0 ? 0 : round(n / requests, 4));
  return {
    window_minutes: span,
    requests,
    requests_per_minute: round(requests / span),
    server_errors: serverErrors,
    client_errors: clientErrors,
    error_rate: share(serverErrors),
    client_error_rate: share(clientErrors),
    latency_ms: { p50: at(0.5), p95: at(0.95), p99: at(0.99) },
  };
}

/** Per-region rolling windows, plus one for requests the router refused before routing. */
export class RegionTraffic {
  readonly #byRegion = new Map<string, RollingWindow>();

  observe(s: RoutedSample): void {
    let w = this.#byRegion.get(s.regionId);
    if (!w) this.#byRegion.set(s.regionId, (w = new RollingWindow()));
    w.observe(s);
  }

  /** One region's (or UNROUTED's) last `minutes` minutes. */
  window(regionId: string, now: number, minutes: number): TrafficSummary {
    const span = Math.min(SLOTS, Math.max(1, Math.floor(minutes)));
    return summarise(this.#byRegion.get(regionId)?.minutes(now, span) ?? [], span);
  }

  /** All routed requests (UNROUTED excluded) of the last `minutes` minutes. */
  total(now: number, minutes: number): TrafficSummary {
    const span = Math.min(SLOTS, Math.max(1, Math.floor(minutes)));
    const all = [...this.#byRegion].filter(([id]) => id !== UNROUTED).flatMap(([, w]) => w.minutes(now, span));
    return summarise(all, span);
  }
}
