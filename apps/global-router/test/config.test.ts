import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

const topologyFile = fileURLToPath(new URL("../../../infra/topology.local.json", import.meta.url));

describe("loadConfig", () => {
  it("applies defaults", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/x", TOPOLOGY_FILE: topologyFile });
    expect(config).toMatchObject({
      port: 8000,
      host: "127.0.0.1",
      database: { url: "postgres://postgres@127.0.0.1:5432/x" },
      upstream: { connectTimeoutMs: 2_000, headersTimeoutMs: 30_000, bodyTimeoutMs: 300_000 },
      routingRefreshMs: 30_000,
      logLevel: "info",
    });
    expect(config.topology.regions.map((r) => r.region_id)).toEqual(["FI-HEL", "DE-FRA", "US-EAST"]);
  });

  it("accepts PGlite and inline topology and parses numbers", () => {
    const config = loadConfig({
      PGLITE_DIR: "/tmp/pg",
      TOPOLOGY_JSON: readFileSync(topologyFile, "utf8"),
      PORT: "0",
      UPSTREAM_CONNECT_TIMEOUT_MS: "500",
      LOG_LEVEL: "warn",
    });
    expect(config.database).toEqual({ pgliteDir: "/tmp/pg" });
    expect(config.port).toBe(0);
    expect(config.upstream.connectTimeoutMs).toBe(500);
    expect(config.logLevel).toBe("warn");
  });

  it("requires a database and a topology", () => {
    expect(() => loadConfig({ TOPOLOGY_FILE: topologyFile })).toThrow(/DATABASE_URL or PGLITE_DIR/);
    expect(() => loadConfig({ PGLITE_DIR: "/tmp/pg" })).toThrow(/TOPOLOGY_FILE or TOPOLOGY_JSON/);
  });

  it("rejects bad values with a ConfigError", () => {
    const base = { PGLITE_DIR: "/tmp/pg", TOPOLOGY_FILE: topologyFile };
    for (const bad of [{ PORT: "http" }, { PORT: "70000" }, { ROUTING_REFRESH_MS: "-1" }, { LOG_LEVEL: "loud" }, { DATABASE_URL: "mysql://x" }, { GATEWAY_SHARED_SECRET: "too-short" }]) {
      expect(() => loadConfig({ ...base, ...bad })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ PGLITE_DIR: "/tmp/pg", TOPOLOGY_JSON: '{"regions":[]}' })).toThrow(/invalid topology/);
    expect(() => loadConfig({ PGLITE_DIR: "/tmp/pg", TOPOLOGY_FILE: "/nonexistent.json" })).toThrow(/cannot read/);
  });
});
