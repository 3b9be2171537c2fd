import { describe, expect, it } from "vitest";
import { RequestStats } from "../src/services/ops/request-stats.ts";

// The window itself (counts, percentiles, expiry) is tested in packages/core/test/request-window.test.ts.
const T0 = Date.parse("2026-03-01T12:00:00Z");
const at = (minutes: number, seconds = 0) => new Date(T0 + minutes * 60_000 + seconds * 1000);

describe("RequestStats", () => {
  it("counts per operation within the window, busiest first, and forgets minutes older than the window", () => {
    const stats = new RequestStats();
    stats.observe({ at: at(0), operation: "GetObject", status: 200, durationMs: 1 });
    stats.observe({ at: at(10), operation: "GetObject", status: 404, durationMs: 1 });
    stats.observe({ at: at(58), operation: "PutObject", status: 500, durationMs: 1 });
    stats.observe({ at: at(59), operation: "PutObject", status: 403, durationMs: 1 });
    const last5 = stats.window(at(59, 30), 5);
    expect(last5).toMatchObject({ requests: 2, server_errors: 1, client_errors: 1, error_rate: 0.5, client_error_rate: 0.5, requests_per_minute: 0.4 });
    expect(last5.operations).toEqual([{ operation: "PutObject", requests: 2, server_errors: 1, client_errors: 1 }]);
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

  it("leaves a late sample for a forgotten minute out of the operations too", () => {
    const stats = new RequestStats();
    stats.observe({ at: at(60), operation: "GetObject", status: 200, durationMs: 1 });
    stats.observe({ at: at(0), operation: "DeleteObject", status: 200, durationMs: 1 });
    expect(stats.window(at(60), 60).operations).toEqual([{ operation: "GetObject", requests: 1, server_errors: 0, client_errors: 0 }]);
  });
});
