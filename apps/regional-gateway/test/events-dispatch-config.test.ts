import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { TEST_TOPOLOGY } from "./harness.ts";

const base = { REGION_ID: "FI-HEL", DATABASE_URL: "postgres://x@127.0.0.1/x", STORAGE_DIR: "/tmp/x", TOPOLOGY_JSON: JSON.stringify(TEST_TOPOLOGY) };

describe("event dispatcher configuration", () => {
  it("defaults to a running dispatcher with the documented settings", () => {
    expect(loadConfig(base).eventDispatcher).toEqual({
      enabled: true,
      pollMs: 250,
      leaseTtlMs: 15_000,
      maxAgeSeconds: 86_400,
      retryBaseMs: 1000,
      retryMaxMs: 300_000,
      retentionHours: 168,
      targetConcurrency: 8,
    });
  });

  it("reads every EVENT_* variable", () => {
    const config = loadConfig({
      ...base,
      EVENT_DISPATCHER: "false",
      EVENT_POLL_MS: "100",
      EVENT_LEASE_TTL_MS: "5000",
      EVENT_MAX_AGE_SECONDS: "3600",
      EVENT_RETRY_BASE_MS: "500",
      EVENT_RETRY_MAX_MS: "60000",
      EVENT_RETENTION_HOURS: "24",
      EVENT_TARGET_CONCURRENCY: "2",
    });
    expect(config.eventDispatcher).toEqual({ enabled: false, pollMs: 100, leaseTtlMs: 5000, maxAgeSeconds: 3600, retryBaseMs: 500, retryMaxMs: 60_000, retentionHours: 24, targetConcurrency: 2 });
  });

  it("refuses settings that cannot work", () => {
    expect(() => loadConfig({ ...base, EVENT_DISPATCHER: "maybe" })).toThrow(/EVENT_DISPATCHER/);
    expect(() => loadConfig({ ...base, EVENT_TARGET_CONCURRENCY: "0" })).toThrow(/EVENT_TARGET_CONCURRENCY/);
    expect(() => loadConfig({ ...base, EVENT_RETRY_BASE_MS: "10000", EVENT_RETRY_MAX_MS: "1000" })).toThrow(/EVENT_RETRY_BASE_MS must not exceed/);
    // A lease renewed every tick must outlive a few ticks, or a busy holder loses it.
    expect(() => loadConfig({ ...base, EVENT_POLL_MS: "1000", EVENT_LEASE_TTL_MS: "2000" })).toThrow(/EVENT_LEASE_TTL_MS/);
  });
});
