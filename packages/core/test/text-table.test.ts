import { describe, expect, it } from "vitest";
import { DASHBOARD_WIDTH, dashboardText, formatBytes, formatMs, formatPercent, headerLines, textTable, TRAFFIC_COLUMNS, trafficCells, wantsJson } from "../src/text-table.ts";

describe("textTable", () => {
  it("aligns columns two spaces apart, right-aligns numbers and cuts over-long cells with ~", () => {
    const lines = textTable(
      [{ header: "name", max: 6 }, { header: "n", align: "right" }],
      [["alpha", "1"], ["much-too-long", "1234"]],
    );
    expect(lines).toEqual(["  name       n", "  alpha      1", "  much-~  1234"]);
  });

  it("lays out a traffic row under TRAFFIC_COLUMNS", () => {
    const w = { window_minutes: 5, requests: 3, requests_per_minute: 0.6, server_errors: 1, client_errors: 0, error_rate: 0.3333, client_error_rate: 0, latency_ms: { p50: 1.5, p95: 12.25, p99: null } };
    const [header, row] = textTable(TRAFFIC_COLUMNS, [trafficCells("5 min", w)]);
    expect(header).toBe("  window  requests  req/min  5xx rate  4xx rate  p50 ms  p95 ms  p99 ms");
    expect(row).toBe("  5 min          3     0.60    33.33%     0.00%    1.50    12.3       -");
  });
});

describe("dashboard text", () => {
  it("puts the title left and the time right on a full-width line, over a rule", () => {
    const [title, rule] = headerLines("s3gw test", "2026-03-01T12:34:56.789Z");
    expect(title).toHaveLength(DASHBOARD_WIDTH);
    expect(title).toMatch(/^s3gw test +2026-03-01 12:34:56 UTC$/);
    expect(rule).toBe("=".repeat(DASHBOARD_WIDTH));
  });

  it("cuts every line to the width and ends with a newline", () => {
    const text = dashboardText(["short", "x".repeat(DASHBOARD_WIDTH + 5)]);
    expect(text).toBe(`short\n${"x".repeat(DASHBOARD_WIDTH - 1)}~\n`);
  });

  it("formats bytes, shares and milliseconds", () => {
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
    expect(formatPercent(0.0123)).toBe("1.23%");
    expect(formatMs(null)).toBe("-");
    expect(formatMs(2.345)).toBe("2.35");
    expect(formatMs(123.45)).toBe("123.5");
  });
});

describe("wantsJson", () => {
  it("answers text unless JSON is asked for at least as much as text/plain", () => {
    expect(wantsJson(undefined, undefined)).toBe(false);
    expect(wantsJson("*/*", undefined)).toBe(false);
    expect(wantsJson("application/json", undefined)).toBe(true);
    expect(wantsJson("application/json;q=0.5, text/plain", undefined)).toBe(false);
    expect(wantsJson("text/plain;q=0.2, application/json;q=0.4", undefined)).toBe(true);
    expect(wantsJson("application/json;q=0", undefined)).toBe(false);
  });

  it("lets ?format= override the Accept header", () => {
    expect(wantsJson("text/plain", "json")).toBe(true);
    expect(wantsJson("application/json", "text")).toBe(false);
  });
});
