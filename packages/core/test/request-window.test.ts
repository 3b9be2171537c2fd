import { describe, expect, it } from "vitest";
import { latencyBucket, RequestWindow, summariseMinutes } from "../src/request-window.ts";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const at = (minutes: number, seconds = 0) => T0 + minutes * 60_000 + seconds * 1000;

describe("RequestWindow", () => {
  it("estimates percentiles within the histogram's ~5% resolution", () => {
    const w = new RequestWindow();
    for (let ms = 1; ms <= 1000; ms++) w.observe(at(0, 30), 200, ms);
    const { p50, p95, p99 } = w.summary(at(0, 59), 5).latency_ms;
    expect(Math.abs(p50! - 500) / 500).toBeLessThan(0.06);
    expect(Math.abs(p95! - 950) / 950).toBeLessThan(0.06);
    expect(Math.abs(p99! - 990) / 990).toBeLessThan(0.06);
  });

  it("reports a constant latency exactly and no latency for an empty window", () => {
    const w = new RequestWindow();
    for (let i = 0; i < 50; i++) w.observe(at(0), 200, 12.5);
    expect(w.summary(at(0), 5).latency_ms).toEqual({ p50: 12.5, p95: 12.5, p99: 12.5 });
    expect(w.summary(at(30), 5).latency_ms).toEqual({ p50: null, p95: null, p99: null });
  });

  it("counts per window, separates 5xx from 4xx and forgets minutes older than the window", () => {
    const w = new RequestWindow();
    w.observe(at(0), 200, 1);
    w.observe(at(10), 404, 1);
    w.observe(at(58), 500, 1);
    w.observe(at(59), 403, 1);
    expect(w.summary(at(59, 30), 5)).toMatchObject({ window_minutes: 5, requests: 2, server_errors: 1, client_errors: 1, error_rate: 0.5, client_error_rate: 0.5, requests_per_minute: 0.4 });
    expect(w.summary(at(59, 30), 60)).toMatchObject({ requests: 4, server_errors: 1, client_errors: 2, error_rate: 0.25, client_error_rate: 0.5 });
    // An hour later the ring slot of minute 0 is reused; the old minute is gone, and a late
    // sample for it is dropped rather than counted in the newer minute.
    w.observe(at(60), 200, 1);
    expect(w.observe(at(0), 200, 1)).toBeUndefined();
    expect(w.summary(at(60), 60).requests).toBe(4);
  });

  it("clamps the window to 1..60 minutes", () => {
    const w = new RequestWindow();
    w.observe(at(0), 200, 1);
    w.observe(at(59), 200, 1);
    expect(w.summary(at(59), 0)).toMatchObject({ window_minutes: 1, requests: 1 });
    expect(w.summary(at(59), 600)).toMatchObject({ window_minutes: 60, requests: 2 });
  });

  it("hands back the minute's bucket with the caller's detail, fresh each minute", () => {
    const w = new RequestWindow<string[]>(() => []);
    w.observe(at(0), 200, 1)!.detail.push("a");
    w.observe(at(0, 30), 200, 1)!.detail.push("b");
    w.observe(at(1), 200, 1)!.detail.push("c");
    expect(w.minutes(at(1), 5).map((b) => b.detail)).toEqual([["a", "b"], ["c"]]);
  });

  it("summarises minutes of several windows together", () => {
    const a = new RequestWindow();
    const b = new RequestWindow();
    a.observe(at(0), 200, 10);
    b.observe(at(0), 503, 30);
    const s = summariseMinutes([...a.minutes(at(0), 5), ...b.minutes(at(0), 5)], 5);
    expect(s).toMatchObject({ requests: 2, server_errors: 1, error_rate: 0.5 });
    expect(s.latency_ms.p99).toBeGreaterThan(25);
    expect(s.latency_ms.p50).toBeLessThan(11);
  });
});

describe("latencyBucket", () => {
  it("maps latencies to ordered buckets, bounded at both ends", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(-5)).toBe(0);
    expect(latencyBucket(1)).toBeLessThan(latencyBucket(1.2));
    expect(latencyBucket(1e12)).toBe(latencyBucket(1e13));
  });
});
