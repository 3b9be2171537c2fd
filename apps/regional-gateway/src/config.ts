import { readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { gatewayKey, MasterKeyRing, MIN_SHARED_SECRET_LENGTH, parseTopology, REGION_ID_RE, type RegionSpec, adminTokenFromEnv, VIRTUAL_HOST_DOMAIN_RE } from "@s3gw/core";
import type { DatabaseTimeouts } from "@s3gw/db";
import { z } from "zod";
import { AuditSigner } from "./services/audit/audit-signing.ts";
import { FingerprintKeys } from "./services/storage/customer-storage-fingerprint.ts";
import { commandConsumerConfig, type CommandConsumerConfig } from "./services/events/commands/config.ts";
import { EVENT_DISPATCHER_DEFAULTS as EVENTS, type EventDispatcherSettings } from "./services/events/dispatch/settings.ts";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const envSchema = z
  .object({
    REGION_ID: z.string().regex(REGION_ID_RE),
    PORT: z.coerce.number().int().min(0).max(65535).default(8001),
    HOST: z.string().default("127.0.0.1"),
    DATABASE_URL: z.string().url().optional(),
    PGLITE_DIR: z.string().min(1).optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1500),
    DATABASE_PROBE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    DATABASE_PROBE_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(500),
    STORAGE_DIR: z.string().min(1).optional(),
    STORAGE_MIN_FREE_BYTES: z.coerce.number().int().min(0).default(64 * 1024 * 1024),
    INTEGRITY_VERIFY_BUFFER_BYTES: z.coerce.number().int().min(0).max(64 * 1024 * 1024).default(1024 * 1024),
    INTEGRITY_SCRUB_INTERVAL_MS: z.coerce.number().int().min(0).default(0),
    INTEGRITY_SCRUB_OBJECTS_PER_SECOND: z.coerce.number().min(0.01).max(10_000).default(5),
    HASH_WORKERS: z.coerce.number().int().min(0).max(8).optional(),
    HOSTED_S3_BUCKET: z.string().min(3).max(63).optional(),
    HOSTED_S3_REGION: z.string().min(1).default("us-east-1"),
    HOSTED_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    HOSTED_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    HOSTED_S3_PREFIX: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/).optional(),
    HOSTED_S3_SSE: z.enum(["AES256", "aws:kms"]).optional(),
    HOSTED_S3_KMS_KEY_ID: z.string().min(1).optional(),
    // Every S3 backend (hosted and customer buckets): how long one attempt waits for its answer, and how many attempts.
    S3_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    S3_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    TOPOLOGY_FILE: z.string().min(1).optional(),
    TOPOLOGY_JSON: z.string().min(1).optional(),
    TRUSTED_CUSTOMER_HEADER: bool.default(false),
    ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
    ADMIN_TOKEN_SHA256: z.string().regex(/^[0-9a-f]{64}$/, "ADMIN_TOKEN_SHA256 must be 64 hex digits").optional(),
    SOURCE_COUNTRY_HEADER: z.string().regex(/^[a-z0-9-]+$/i).default("x-source-country"),
    // Virtual-hosted-style S3: `<bucket>.<this domain>` names the bucket (path-style keeps working).
    S3_VIRTUAL_HOST_DOMAIN: z.string().transform((v) => v.toLowerCase()).pipe(z.string().regex(VIRTUAL_HOST_DOMAIN_RE, "S3_VIRTUAL_HOST_DOMAIN must be a DNS name")).optional(),
    // Peers (the deployment's own proxy) whose source-country header is believed on direct requests.
    TRUSTED_PROXIES: z.string().default("").transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean)),
    STRAY_GRACE_MS: z.coerce.number().int().min(0).default(15 * 60_000),
    SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(10 * 60_000),
    GDPR_DEADLINE_CHECK_MS: z.coerce.number().int().min(1000).default(15 * 60_000),
    LIFECYCLE_INTERVAL_MS: z.coerce.number().int().min(1000).default(60 * 60_000),
    ACCESS_LOG_INTERVAL_MS: z.coerce.number().int().min(1000).default(5 * 60_000),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    MASTER_KEYS: z.string().trim().min(1).optional(),
    MASTER_KEY_ID: z.string().trim().min(1).optional(),
    GLOBAL_ROUTER_URL: z.string().url().optional(),
    ALLOW_STANDALONE_REGISTRATION: bool.default(false),
    PUBLIC_S3_ENDPOINT: z.string().url().optional(),
    PRESIGN_MAX_EXPIRES_SECONDS: z.coerce.number().int().min(1).max(604_800).default(3600),
    STALE_UPLOAD_DAYS: z.coerce.number().int().min(1).max(365).default(7),
    AUDIT_SIGNING_KEY: z.string().trim().min(1).optional(),
    AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
    AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1000).default(15 * 60_000),
    AUDIT_INTENT_RECOVERY_AFTER_MS: z.coerce.number().int().min(1000).default(2 * 60_000),
    AUDIT_CHECKPOINT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(3650),
    CREDENTIAL_FINGERPRINT_KEY: z.string().min(32, "CREDENTIAL_FINGERPRINT_KEY must be at least 32 characters").optional(),
    CRYPTO_SHRED_DELAY_SECONDS: z.coerce.number().int().min(0).max(366 * 86_400).optional(),
    ENCRYPT_OBJECTS: bool.optional(),
    EVENT_DISPATCHER: bool.default(EVENTS.enabled),
    EVENT_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(EVENTS.pollMs),
    EVENT_LEASE_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(EVENTS.leaseTtlMs),
    EVENT_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(EVENTS.maxAgeSeconds),
    EVENT_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(EVENTS.retryBaseMs),
    EVENT_RETRY_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(EVENTS.retryMaxMs),
    EVENT_RETENTION_HOURS: z.coerce.number().int().min(1).max(24 * 366).default(EVENTS.retentionHours),
    EVENT_TARGET_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(EVENTS.targetConcurrency),
    GATEWAY_SHARED_SECRET: z.string().min(MIN_SHARED_SECRET_LENGTH, `GATEWAY_SHARED_SECRET must be at least ${MIN_SHARED_SECRET_LENGTH} characters`).optional(),
    CONSOLE_SESSION_IDLE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30 * 60),
    CONSOLE_SESSION_MAX_SECONDS: z.coerce.number().int().min(1).max(7 * 86_400).default(12 * 3600),
  })
  .refine((e) => e.DATABASE_URL || e.PGLITE_DIR, "set DATABASE_URL (Postgres server) or PGLITE_DIR (embedded)")
  .refine((e) => e.TOPOLOGY_FILE || e.TOPOLOGY_JSON, "set TOPOLOGY_FILE or TOPOLOGY_JSON")
  .refine((e) => !e.GLOBAL_ROUTER_URL || e.GATEWAY_SHARED_SECRET, "GLOBAL_ROUTER_URL needs GATEWAY_SHARED_SECRET to sign calls to the router")
  .refine((e) => e.EVENT_RETRY_BASE_MS <= e.EVENT_RETRY_MAX_MS, "EVENT_RETRY_BASE_MS must not exceed EVENT_RETRY_MAX_MS")
  .refine((e) => e.EVENT_POLL_MS * 3 <= e.EVENT_LEASE_TTL_MS, "EVENT_LEASE_TTL_MS must be at least three EVENT_POLL_MS (the lease is renewed every tick)");

export interface RegionalConfig {
  region: RegionSpec;
  port: number;
  host: string;
  /** Postgres: `timeouts` bound how long requests wait on an unreachable or hung server (see @s3gw/db). */
  database: { url: string; poolSize: number; timeouts?: DatabaseTimeouts } | { pgliteDir: string };
  /** Root of the hosted `fs` provider (regions whose topology provider is `fs`). */
  storageDir: string;
  /** The `fs` provider reports itself unhealthy (/health 503) below this much free space. */
  storageMinFreeBytes?: number | undefined;
  /** GETs of objects up to this size are hash-checked before the first byte; larger ones while streaming. */
  integrityVerifyBufferBytes?: number | undefined;
  /** Pause between passes of the background integrity scrub; 0 (or unset) turns it off. */
  integrityScrubIntervalMs?: number | undefined;
  /** The scrub's pace: objects re-hashed per second at most. */
  integrityScrubObjectsPerSecond?: number | undefined;
  /**
   * Worker threads hashing (MD5) large bodies off the event loop, one body each (see
   * DigestWorkers); 0 hashes inline. Unset: 1 on a machine with more than two cores, else 0.
   */
  hashWorkers?: number | undefined;
  /** The hosted `s3` provider (regions whose topology provider is `s3`): bucket and credentials. */
  hostedS3?: {
    bucket: string;
    region: string;
    endpoint?: string | undefined;
    accessKeyId: string;
    secretAccessKey: string;
    pathPrefix?: string | undefined;
    sse?: { mode: "AES256" } | { mode: "aws:kms"; kmsKeyId: string } | undefined;
  } | undefined;
  /**
   * S3 backends' request bounds: a hung backend fails a request after about timeoutMs ×
   * maxAttempts (S3_REQUEST_TIMEOUT_MS, S3_MAX_ATTEMPTS; 30 s × 3 unless set).
   */
  s3Requests?: { timeoutMs: number; maxAttempts: number } | undefined;
  trustedCustomerHeader: boolean;
  /** The bootstrap admin token, kept only as its SHA-256. */
  adminToken: { sha256: string } | undefined;
  /** Header the deployment's edge sets to the client's ISO country code. */
  sourceCountryHeader: string;
  /** Virtual-hosted-style S3 under this domain (S3_VIRTUAL_HOST_DOMAIN), if set. */
  virtualHostDomain?: string | undefined;
  /** Socket peers whose source-country header is believed without a router proof (the deployment's proxy). */
  trustedProxies: string[];
  strayGraceMs: number;
  sweepIntervalMs: number;
  /** How often open GDPR requests are checked against their deadlines. */
  gdprDeadlineCheckMs: number;
  /** How often the bucket lifecycle worker runs (expiry, aborting stale uploads). */
  lifecycleIntervalMs: number;
  /** Pause between server access log deliveries (PutBucketLogging); unset: 5 minutes. */
  accessLogIntervalMs?: number | undefined;
  logLevel: string;
  /** Seals access-key secrets at rest; without it access keys cannot be created. */
  masterKeys?: MasterKeyRing | undefined;
  /** Where access key ids are registered for routing; unset for a region without a global router. */
  globalRouterUrl?: string | undefined;
  /**
   * Registration asks the global router whether a customer is homed here. Without a router this
   * must be set explicitly (a lone region, tests); otherwise registration is refused.
   */
  allowStandaloneRegistration?: boolean | undefined;
  /** Shared with the global router: signs calls to it and verifies its forwarding proofs. */
  gatewaySharedSecret?: string | undefined;
  /** The same secret as a key object, made once, for checking every forwarded request's proof. */
  gatewaySharedKey?: KeyObject | undefined;
  /** The endpoint clients use (the global router): presigned URLs are issued for it. Defaults to GLOBAL_ROUTER_URL. */
  publicS3Endpoint?: string | undefined;
  /** Longest lifetime of a presigned URL issued by /api/presign (S3's own ceiling is 7 days). */
  presignMaxExpiresSeconds: number;
  /** Multipart uploads idle longer than this are aborted and their parts removed. */
  staleUploadDays: number;
  /** Signs audit checkpoints (Ed25519, AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE); without it there are none. */
  auditSigner: AuditSigner | undefined;
  /** How often the chain head is checkpointed (only when it moved). */
  auditCheckpointIntervalMs: number;
  /**
   * How old an audit intent must be before its row is taken as lost and recovered (it must
   * exceed any request's time from commit to audit row); unset: 2 minutes. Checked as often.
   */
  auditIntentRecoveryAfterMs?: number | undefined;
  /** COMPLIANCE retention of each checkpoint's WORM copy. */
  auditCheckpointRetentionDays: number;
  /** Keys the HMAC fingerprints of customer-bucket credentials (CREDENTIAL_FINGERPRINT_KEY, else the master keys). */
  fingerprintKeys?: FingerprintKeys | undefined;
  /**
   * ENCRYPT_OBJECTS=false stores new objects in plaintext and refuses SSE headers: only for
   * measuring what encryption costs (the benchmarks). Unset: true.
   */
  encryptObjects?: boolean | undefined;
  /** How long a crypto-shred request waits before it runs (CRYPTO_SHRED_DELAY_SECONDS; unset: 7 days). */
  cryptoShredDelaySeconds?: number | undefined;
  /**
   * The event dispatcher (lease, fan-out, deliveries). loadConfig always sets it (EVENT_*,
   * enabled unless EVENT_DISPATCHER=false); unset, as in a hand-built test config, no dispatcher runs.
   */
  eventDispatcher?: EventDispatcherSettings | undefined;
  /** The command consumer (COMMANDS_*); unset without COMMANDS_NATS_SERVERS. */
  commands?: CommandConsumerConfig | undefined;
  /** Web console sessions (CONSOLE_SESSION_*); unset: idle 30 minutes, absolute 12 hours. */
  console?: { idleSeconds: number; maxSeconds: number } | undefined;
}

/** Parses and validates the environment once at start-up; throws a readable error. */
export function loadConfig(env: Record<string, string | undefined>): RegionalConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`).join("; ")}`);
  }
  const e = parsed.data;
  const topology = parseTopology(e.TOPOLOGY_JSON ?? readFileSync(e.TOPOLOGY_FILE!, "utf8"));
  const region = topology.regions.find((r) => r.region_id === e.REGION_ID);
  if (!region) throw new Error(`invalid configuration: region ${e.REGION_ID} is not in the topology`);
  if (region.provider.type === "fs" && !e.STORAGE_DIR) throw new Error("invalid configuration: STORAGE_DIR is required for a region whose provider is fs");
  if (region.provider.type === "s3" && !(e.HOSTED_S3_BUCKET && e.HOSTED_S3_ACCESS_KEY_ID && e.HOSTED_S3_SECRET_ACCESS_KEY)) {
    throw new Error("invalid configuration: a region whose provider is s3 needs HOSTED_S3_BUCKET, HOSTED_S3_ACCESS_KEY_ID and HOSTED_S3_SECRET_ACCESS_KEY");
  }
  if (e.HOSTED_S3_SSE === "aws:kms" && !e.HOSTED_S3_KMS_KEY_ID) throw new Error("invalid configuration: HOSTED_S3_SSE=aws:kms needs HOSTED_S3_KMS_KEY_ID");
  let masterKeys: MasterKeyRing | undefined;
  if (e.MASTER_KEYS) {
    try {
      masterKeys = MasterKeyRing.parse(e.MASTER_KEYS, e.MASTER_KEY_ID);
    } catch (err) {
      throw new Error(`invalid configuration: MASTER_KEYS: ${(err as Error).message}`);
    }
  } else if (e.MASTER_KEY_ID) {
    throw new Error("invalid configuration: MASTER_KEY_ID is set but MASTER_KEYS is not");
  }
  if (e.AUDIT_SIGNING_KEY && e.AUDIT_SIGNING_KEY_FILE) throw new Error("invalid configuration: set AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE, not both");
  let auditSigner: AuditSigner | undefined;
  try {
    if (e.AUDIT_SIGNING_KEY) auditSigner = AuditSigner.fromPem(e.AUDIT_SIGNING_KEY);
    else if (e.AUDIT_SIGNING_KEY_FILE) auditSigner = AuditSigner.fromFile(e.AUDIT_SIGNING_KEY_FILE);
  } catch (err) {
    throw new Error(`invalid configuration: ${e.AUDIT_SIGNING_KEY ? "AUDIT_SIGNING_KEY" : "AUDIT_SIGNING_KEY_FILE"}: ${(err as Error).message}`);
  }
  return {
    region,
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? {
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          timeouts: { connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS, probeTimeoutMs: e.DATABASE_PROBE_TIMEOUT_MS, probeIntervalMs: e.DATABASE_PROBE_INTERVAL_MS },
        }
      : { pgliteDir: e.PGLITE_DIR! },
    storageDir: e.STORAGE_DIR ?? "",
    storageMinFreeBytes: e.STORAGE_MIN_FREE_BYTES,
    integrityVerifyBufferBytes: e.INTEGRITY_VERIFY_BUFFER_BYTES,
    integrityScrubIntervalMs: e.INTEGRITY_SCRUB_INTERVAL_MS,
    integrityScrubObjectsPerSecond: e.INTEGRITY_SCRUB_OBJECTS_PER_SECOND,
    hashWorkers: e.HASH_WORKERS,
    hostedS3:
      region.provider.type === "s3"
        ? {
            bucket: e.HOSTED_S3_BUCKET!,
            region: e.HOSTED_S3_REGION,
            endpoint: region.provider.endpoint,
            accessKeyId: e.HOSTED_S3_ACCESS_KEY_ID!,
            secretAccessKey: e.HOSTED_S3_SECRET_ACCESS_KEY!,
            pathPrefix: e.HOSTED_S3_PREFIX,
            sse: e.HOSTED_S3_SSE === "aws:kms" ? { mode: "aws:kms", kmsKeyId: e.HOSTED_S3_KMS_KEY_ID! } : e.HOSTED_S3_SSE ? { mode: "AES256" } : undefined,
          }
        : undefined,
    s3Requests: { timeoutMs: e.S3_REQUEST_TIMEOUT_MS, maxAttempts: e.S3_MAX_ATTEMPTS },
    trustedCustomerHeader: e.TRUSTED_CUSTOMER_HEADER,
    adminToken: adminTokenFromEnv(e.ADMIN_TOKEN, e.ADMIN_TOKEN_SHA256),
    sourceCountryHeader: e.SOURCE_COUNTRY_HEADER.toLowerCase(),
    virtualHostDomain: e.S3_VIRTUAL_HOST_DOMAIN,
    trustedProxies: e.TRUSTED_PROXIES,
    strayGraceMs: e.STRAY_GRACE_MS,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    gdprDeadlineCheckMs: e.GDPR_DEADLINE_CHECK_MS,
    lifecycleIntervalMs: e.LIFECYCLE_INTERVAL_MS,
    accessLogIntervalMs: e.ACCESS_LOG_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    masterKeys,
    globalRouterUrl: e.GLOBAL_ROUTER_URL?.replace(/\/+$/, ""),
    allowStandaloneRegistration: e.ALLOW_STANDALONE_REGISTRATION,
    gatewaySharedSecret: e.GATEWAY_SHARED_SECRET,
    gatewaySharedKey: e.GATEWAY_SHARED_SECRET ? gatewayKey(e.GATEWAY_SHARED_SECRET) : undefined,
    publicS3Endpoint: (e.PUBLIC_S3_ENDPOINT ?? e.GLOBAL_ROUTER_URL)?.replace(/\/+$/, ""),
    presignMaxExpiresSeconds: e.PRESIGN_MAX_EXPIRES_SECONDS,
    staleUploadDays: e.STALE_UPLOAD_DAYS,
    auditSigner,
    auditCheckpointIntervalMs: e.AUDIT_CHECKPOINT_INTERVAL_MS,
    auditIntentRecoveryAfterMs: e.AUDIT_INTENT_RECOVERY_AFTER_MS,
    auditCheckpointRetentionDays: e.AUDIT_CHECKPOINT_RETENTION_DAYS,
    cryptoShredDelaySeconds: e.CRYPTO_SHRED_DELAY_SECONDS,
    encryptObjects: e.ENCRYPT_OBJECTS,
    eventDispatcher: {
      enabled: e.EVENT_DISPATCHER,
      pollMs: e.EVENT_POLL_MS,
      leaseTtlMs: e.EVENT_LEASE_TTL_MS,
      maxAgeSeconds: e.EVENT_MAX_AGE_SECONDS,
      retryBaseMs: e.EVENT_RETRY_BASE_MS,
      retryMaxMs: e.EVENT_RETRY_MAX_MS,
      retentionHours: e.EVENT_RETENTION_HOURS,
      targetConcurrency: e.EVENT_TARGET_CONCURRENCY,
    },
    commands: commandConsumerConfig(env, region.region_id),
    console: { idleSeconds: e.CONSOLE_SESSION_IDLE_SECONDS, maxSeconds: e.CONSOLE_SESSION_MAX_SECONDS },
    fingerprintKeys: FingerprintKeys.fromSettings({ dedicated: e.CREDENTIAL_FINGERPRINT_KEY, masterKeys: e.MASTER_KEYS, activeMasterKeyId: masterKeys?.activeKeyId, regionId: region.region_id }),
  };
}
