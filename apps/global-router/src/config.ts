import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join } from "node:path";
import type { KeyObject } from "node:crypto";
import { gatewayKey, MIN_SHARED_SECRET_LENGTH, parseTopology, type Topology, adminTokenFromEnv, VIRTUAL_HOST_DOMAIN_RE } from "@s3gw/core";
import type { DatabaseConfig } from "@s3gw/db";
import { z } from "zod";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface UpstreamTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** Everything the router needs to start; `startGlobalRouter` takes this, not the environment. */
export interface GlobalRouterConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  topology: Topology;
  upstream: UpstreamTimeouts;
  routingRefreshMs: number;
  logLevel: LogLevel;
  /** The admin bearer token (routing writes, ops dashboard), kept only as its SHA-256; unset disables them. */
  adminToken: { sha256: string } | undefined;
  /**
   * Shared with the regions: proves forwarded S3 requests came through this router and
   * authenticates the regions' calls to /internal. Unset: no proof is added, /internal is off.
   */
  gatewaySharedSecret?: string | undefined;
  /** The same secret as a key object, made once, for the forwarding proof of every routed request. */
  gatewaySharedKey?: KeyObject | undefined;
  /**
   * Trusted-header mode: route `X-Customer-ID` without credentials (the embedded walkthrough).
   * Off unless set; the router refuses to start with it on a non-loopback address.
   */
  trustedCustomerHeader?: boolean | undefined;
  /** Where the client's country comes from: a header the deployment's proxy sets, believed only from these peers. */
  sourceCountry?: SourceCountryConfig | undefined;
  /** Virtual-hosted-style S3 under this domain (S3_VIRTUAL_HOST_DOMAIN): any request to `<bucket>.<domain>` is S3. */
  virtualHostDomain?: string | undefined;
  /** Per-region circuit breaker; defaults in region-circuits.ts. */
  circuit?: Partial<CircuitConfig> | undefined;
  /** Local copy of the routing and access-key maps, so the router starts with its database down. Unset: none. */
  snapshotFile?: string | undefined;
  /** JSON Lines file holding routing-log rows while the database is away. Unset: rows are only buffered in memory. */
  routingLogSpoolFile?: string | undefined;
}

export interface SourceCountryConfig {
  /** Header name (lower case) the proxy sets and the regions read. */
  header: string;
  /** Socket peer addresses whose header is believed; empty: no one's, the header is always stripped. */
  trustedProxies: string[];
}

export interface CircuitConfig {
  /** Consecutive failures (refused, timed out, unanswered probe) that open a region's circuit. */
  failureThreshold: number;
  /** A request unanswered this long makes the breaker probe the region's /health at once. */
  slowRequestMs: number;
  /** How long a /health probe may take before the region counts as hung. */
  probeTimeoutMs: number;
  /** How often an open circuit probes the region in the background. */
  probeIntervalMs: number;
}

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const ms = (def: number) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(86_400_000).default(def));

const envSchema = z
  .object({
    PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65_535).default(8000)),
    HOST: z.preprocess(emptyToUndefined, z.string().min(1).default("127.0.0.1")),
    DATABASE_URL: z.preprocess(emptyToUndefined, z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional()),
    PGLITE_DIR: optionalString,
    TOPOLOGY_FILE: optionalString,
    TOPOLOGY_JSON: optionalString,
    UPSTREAM_CONNECT_TIMEOUT_MS: ms(2_000),
    UPSTREAM_HEADERS_TIMEOUT_MS: ms(30_000),
    UPSTREAM_BODY_TIMEOUT_MS: ms(300_000),
    ROUTING_REFRESH_MS: ms(30_000),
    LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(LOG_LEVELS).default("info")),
    ADMIN_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
    ADMIN_TOKEN_SHA256: z.preprocess(emptyToUndefined, z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits").optional()),
    GATEWAY_SHARED_SECRET: z.preprocess(emptyToUndefined, z.string().min(MIN_SHARED_SECRET_LENGTH, `must be at least ${MIN_SHARED_SECRET_LENGTH} characters`).optional()),
    TRUSTED_CUSTOMER_HEADER: z.preprocess(emptyToUndefined, z.enum(["true", "false"]).default("false")),
    SOURCE_COUNTRY_HEADER: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z0-9-]+$/i, "must be a header name").default("x-source-country")),
    S3_VIRTUAL_HOST_DOMAIN: z.preprocess(emptyToUndefined, z.string().transform((v) => v.toLowerCase()).pipe(z.string().regex(VIRTUAL_HOST_DOMAIN_RE, "must be a DNS name")).optional()),
    TRUSTED_PROXIES: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default("")
        .transform((v) => v.split(",").map((a) => a.trim()).filter(Boolean))
        .refine((list) => list.every((a) => isIP(a) !== 0), "must be a comma-separated list of IP addresses"),
    ),
    CIRCUIT_FAILURE_THRESHOLD: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1000).default(3)),
    CIRCUIT_SLOW_REQUEST_MS: ms(500),
    CIRCUIT_PROBE_TIMEOUT_MS: ms(1_250),
    CIRCUIT_PROBE_INTERVAL_MS: ms(1_000),
    DATA_DIR: optionalString,
    ROUTING_SNAPSHOT_FILE: optionalString,
    ROUTING_LOG_SPOOL_FILE: optionalString,
  })
  .refine((e) => e.DATABASE_URL !== undefined || e.PGLITE_DIR !== undefined, {
    message: "one of DATABASE_URL or PGLITE_DIR is required",
    path: ["DATABASE_URL"],
  })
  .refine((e) => e.TOPOLOGY_FILE !== undefined || e.TOPOLOGY_JSON !== undefined, {
    message: "one of TOPOLOGY_FILE or TOPOLOGY_JSON is required",
    path: ["TOPOLOGY_FILE"],
  });

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment once at start-up; throws a ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GlobalRouterConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL !== undefined ? { url: e.DATABASE_URL } : { pgliteDir: e.PGLITE_DIR as string },
    topology: readTopology(e.TOPOLOGY_FILE, e.TOPOLOGY_JSON),
    upstream: {
      connectTimeoutMs: e.UPSTREAM_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: e.UPSTREAM_HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: e.UPSTREAM_BODY_TIMEOUT_MS,
    },
    routingRefreshMs: e.ROUTING_REFRESH_MS,
    logLevel: e.LOG_LEVEL,
    adminToken: adminTokenFromEnv(e.ADMIN_TOKEN, e.ADMIN_TOKEN_SHA256),
    gatewaySharedSecret: e.GATEWAY_SHARED_SECRET,
    gatewaySharedKey: e.GATEWAY_SHARED_SECRET ? gatewayKey(e.GATEWAY_SHARED_SECRET) : undefined,
    trustedCustomerHeader: e.TRUSTED_CUSTOMER_HEADER === "true",
    sourceCountry: { header: e.SOURCE_COUNTRY_HEADER.toLowerCase(), trustedProxies: e.TRUSTED_PROXIES },
    virtualHostDomain: e.S3_VIRTUAL_HOST_DOMAIN,
    circuit: {
      failureThreshold: e.CIRCUIT_FAILURE_THRESHOLD,
      slowRequestMs: e.CIRCUIT_SLOW_REQUEST_MS,
      probeTimeoutMs: e.CIRCUIT_PROBE_TIMEOUT_MS,
      probeIntervalMs: e.CIRCUIT_PROBE_INTERVAL_MS,
    },
    ...localFiles(e.DATA_DIR ?? (e.PGLITE_DIR !== undefined ? dirname(e.PGLITE_DIR) : "data/global-router"), e.ROUTING_SNAPSHOT_FILE, e.ROUTING_LOG_SPOOL_FILE),
  };
}

/** The router's own files live in its data dir (beside PGlite's, when embedded) unless named. */
function localFiles(dataDir: string, snapshot: string | undefined, spool: string | undefined) {
  return {
    snapshotFile: snapshot ?? join(dataDir, "routing-snapshot.json"),
    routingLogSpoolFile: spool ?? join(dataDir, "routing-log-spool.jsonl"),
  };
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host.toLowerCase());

/** Start-up checks across settings; throws a ConfigError. */
export function assertStartable(config: GlobalRouterConfig): void {
  if (config.trustedCustomerHeader && !isLoopbackHost(config.host)) {
    throw new ConfigError(`invalid configuration: TRUSTED_CUSTOMER_HEADER=true needs a loopback HOST (127.0.0.1, ::1 or localhost), not ${config.host}`);
  }
}

function readTopology(file: string | undefined, inline: string | undefined): Topology {
  // An inline document wins so a deployment can override the file shipped in the image.
  const source = inline !== undefined ? "TOPOLOGY_JSON" : `TOPOLOGY_FILE ${file}`;
  let text: string;
  try {
    text = inline ?? readFileSync(file as string, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${source}: ${(err as Error).message}`);
  }
  try {
    return parseTopology(text);
  } catch (err) {
    const detail = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : (err as Error).message;
    throw new ConfigError(`invalid topology in ${source}: ${detail}`);
  }
}
