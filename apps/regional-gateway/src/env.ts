import type { HttpBindings } from "@hono/node-server";
import type { Db } from "@s3gw/db";
import type { regionalSchema } from "@s3gw/schema-regional";
import type { StorageProvider } from "@s3gw/storage";
import type { Logger } from "pino";
import type { RegionalConfig } from "./config.ts";
import type { KeyProvider, Principal } from "@s3gw/core";
import type { AuditLog } from "./services/audit/audit.ts";
import type { S3Auth } from "./middleware/s3-auth.ts";
import type { Customer } from "./services/access/customers.ts";
import type { S3Operation } from "./routes/s3/operations.ts";
import type { S3Target } from "./routes/s3/request-target.ts";
import type { StorageTargets } from "./services/storage/storage-targets.ts";
import type { StorageMigrationWorker } from "./services/storage/storage-migration-worker.ts";
import type { GatewayMetrics } from "./services/ops/metrics.ts";
import type { RequestStats } from "./services/ops/request-stats.ts";
import type { RegionalCache } from "./services/cache/regional-cache.ts";
import type { AnomalyTallies } from "./services/compliance/anomaly.ts";

export type RegionalDb = Db<typeof regionalSchema>;
/** The handle inside `db.transaction(...)`. */
export type RegionalTx = Parameters<Parameters<RegionalDb["transaction"]>[0]>[0];

export interface Clock { now(): Date }

export interface Deps {
  config: RegionalConfig;
  db: RegionalDb;
  ping: () => Promise<boolean>;
  /** The region's hosted provider (health, sweeping); objects are reached through `targets`. */
  storage: StorageProvider;
  targets: StorageTargets;
  audit: AuditLog;
  logger: Logger;
  clock: Clock;
  /** Rolling request outcomes of the last hour (ops dashboard). */
  stats: RequestStats;
  /** Prometheus registry of this app instance (/metrics). */
  metrics: GatewayMetrics;
  /** Runs storage migrations inside this gateway (POST /api/storage-migrations). */
  migrations: StorageMigrationWorker;
  /** Access keys, customers, buckets and rules of this instance, invalidated by database notifications. */
  cache: RegionalCache;
  /** Per-customer operation counts of this instance for the unusual-activity check. */
  anomalyTallies: AnomalyTallies;
  /** Customer keys (KEKs): wraps and unwraps blobs' data keys (the local provider unless an external KMS is plugged in). */
  keys: KeyProvider;
}

/** What a handler records about its operation; the audit middleware turns it into an operations_log row. */
export interface OperationRecord {
  operation: string;
  /** The request's id, which the audit intent of a change it commits carries. */
  requestId: string;
  /** Set once a change of the request wrote its audit intent (requestIntent): the request's row fulfils it. */
  intentId?: string;
  customerId?: string;
  bucket?: string;
  key?: string;
  bytes?: number;
  crossBorder?: boolean;
  errorCode?: string;
  principal?: string;
  info?: Record<string, unknown>;
}

export interface AppEnv {
  Bindings: HttpBindings;
  Variables: {
    deps: Deps;
    requestId: string;
    logger: Logger;
    startedAt: number;
    op: OperationRecord;
    customer: Customer;
    /** Set for SigV4-authenticated S3 requests. */
    s3Auth: S3Auth;
    principal: Principal;
    /** Where the request came from: the socket peer, or the client the global router vouches for. */
    clientAddress: string | undefined;
    /** True only when the request carries a valid forwarding proof from the global router. */
    forwardedByRouter: boolean;
    /** The customer the global router resolved (x-s3gw-routed-customer), set only with a valid proof. */
    routedCustomerId: string | undefined;
    /** The client's country the global router signed into its proof, set only with a valid proof. */
    routedSourceCountry: string | undefined;
    /** Set by the S3 edge: errors render as S3 XML, whatever the path. */
    s3: boolean;
    /** The S3 request's bucket, key and query, from the raw target. */
    s3Target: S3Target;
    /** The row of the S3 operation table the request matched. */
    s3Operation: S3Operation;
  };
}
