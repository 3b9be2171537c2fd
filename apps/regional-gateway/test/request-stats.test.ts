import { describe, expect, it } from "vitest";
import { latencyBucket, RequestStats } from "../src/services/request-stats.ts";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const at = (minutes: number, seconds = 0) => new Date(T0 + minutes * 60_000 + seconds * 1000);

describe("RequestStats", () => {
  it("estimates percentiles within the histogram's ~5% resolution", () => {
    const stats = new RequestStats();
    for (let ms = 1; ms <= 1000; ms++) stats.observe({ at: at(0, 30), operation: "GetObject", status: 200, durationMs: ms });
    const { p50, p95, p99 } = stats.window(at(0, 59), 5).latency_ms;
    expect(Math.abs(p50! - 500) / 500).toBeLessThan(0.06);
    expect(Math.abs(p95! - 950) / 950).toBeLessThan(0.06);
    expect(Math.abs(p99! - 990) / 990).toBeLessThan(0.06);
  });

  it("reports a constant latency exactly and no latency for an empty window", () => {
    const stats = new RequestStats();
    for (let i = 0; i < 50; i++) stats.observe({ at: at(0), operation: "PutObject", status: 200, durationMs: 12.5 });
    expect(stats.window(at(0), 5).latency_ms).toEqual({ p50: 12.5, p95: 12.5, p99: 12.5 });
    expect(stats.window(at(30), 5).latency_ms).toEqual({ p50: null, p95: null, p99: null });
  });

  it("counts per window, separates 5xx from 4xx and forgets minutes older than the window", () => {
    const stats = new RequestStats();
    stats.observe({ at: at(0), operation: "GetObject", status: 200, durationMs: 1 });
    stats.observe({ at: at(10), operation: "GetObject", status: 404, durationMs: 1 });
    stats.observe({ at: at(58), operation: "PutObject", status: 500, durationMs: 1 });
    stats.observe({ at: at(59), operation: "PutObject", status: 403, durationMs: 1 });
    const last5 = stats.window(at(59, 30), 5);
    expect(last5).toMatchObject({ requests: 2, server_errors: 1, client_errors: 1, error_rate: 0.5, client_error_rate: 0.5, requests_per_minute: 0.4 });
    const last60 = stats.window(at(59, 30), 60);
    expect(last60).toMatchObject({ requests: 4, server_errors: 1, client_errors: 2, error_rate: 0.25, client_error_rate: 0.5 });
    expect(last60.operations).toEqual([
      { operation: "GetObject", requests: 2, server_errors: 0, client_errors: 1 },
      { operation: "PutObject", requests: 2, server_errors: 1, client_errors: 1 },
    ]);
    // An hour later the ring slot of minute 0 is reused; the old minute is gone.
    stats.observe({ at: at(60), operation: "HeadObject", status: 200, durationMs: 1 });
    const next = stats.window(at(60), 60);
    expect(next.requests).toBe(4);
    expect(next.operations.map((o) => o.operation)).toEqual(["PutObject", "GetObject", "HeadObject"]);
  });

  it("maps latencies to ordered buckets, bounded at both ends", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(-5)).toBe(0);
    expect(latencyBucket(1)).toBeLessThan(latencyBucket(1.2));
    expect(latencyBucket(1e12)).toBe(latencyBucket(1e13));
  });
});
