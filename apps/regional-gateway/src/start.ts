import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Logger } from "pino";
import { createApp } from "./app.ts";
import type { RegionalConfig } from "./config.ts";
import type { Clock, Deps } from "./env.ts";
import { openRegionalDeps, sweepHostedStorage } from "./deps.ts";
import { startCheckpointWorker } from "./services/audit/audit-checkpoints.ts";
import { startIntegrityScrub } from "./services/objects/integrity-scrub.ts";
import { startCustomerStorageMonitor } from "./services/storage/customer-storage.ts";
import { startGdprDeadlineTimer } from "./services/gdpr/gdpr.ts";
import { runLifecycle } from "./services/objects/lifecycle-worker.ts";
import { deliverAccessLogs } from "./services/objects/access-log-delivery.ts";
import { WorkerLease } from "./services/events/dispatch/lease.ts";
import { startPeriodic } from "./services/ops/periodic.ts";
import { recoverAuditIntents } from "./services/audit/audit-recovery.ts";
import { startKeyMaintenance } from "./services/keys/key-maintenance.ts";
import { EventDispatcher } from "./services/events/dispatch/event-dispatcher.ts";
import { CommandConsumerSupervisor } from "./services/events/commands/consumer-supervisor.ts";

/** True only for addresses that accept connections from this machine alone. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

export interface RunningGateway {
  url: string;
  port: number;
  deps: Deps;
  /** Stops accepting requests, waits for in-flight ones, closes the database. */
  close(): Promise<void>;
}

/** How long a periodic task's lease outlives its holder's last renewal (renewed every third of it while held). */
const PERIODIC_LEASE_TTL_MS = 60_000;

export async function startRegionalGateway(
  config: RegionalConfig,
  opts: { logger?: Logger; clock?: Clock } = {},
): Promise<RunningGateway> {
  // X-Customer-ID without credentials identifies whoever can reach the socket: loopback only.
  if (config.trustedCustomerHeader && !isLoopbackHost(config.host)) {
    throw new Error(`invalid configuration: TRUSTED_CUSTOMER_HEADER=true needs a loopback HOST (127.0.0.1, ::1 or localhost), not ${config.host}`);
  }
  const { deps, databaseKind, close: closeDeps } = await openRegionalDeps(config, opts);
  const { logger } = deps;
  // Background work once per region however many instances share the database: each periodic
  // task runs under a lease of its own in worker_leases, as the event dispatcher does. The TTL is
  // short and a long run renews it, so a killed holder holds up a task for a minute at most, not
  // for intervals. The stray sweep runs on every instance: it is idempotent, and a gateway
  // restarted after a crash must remove what the crash left at once, not after a lease runs out.
  const leases: WorkerLease[] = [];
  const leaseFor = (name: string): WorkerLease => {
    const lease = new WorkerLease(deps.db, name, PERIODIC_LEASE_TTL_MS);
    leases.push(lease);
    return lease;
  };
  const stopSweeper = startPeriodic("storage sweep", () => sweepHostedStorage(deps), config.sweepIntervalMs, logger);
  const stopGdprTimer = startGdprDeadlineTimer(deps, config.gdprDeadlineCheckMs, leaseFor("gdpr-deadlines"));
  const stopStorageMonitor = startCustomerStorageMonitor(deps, config.sweepIntervalMs, leaseFor("customer-storage-check"));
  const lifecycleLease = leaseFor("lifecycle");
  const stopLifecycle = startLeasedLifecycleWorker(deps, config.lifecycleIntervalMs, lifecycleLease);
  const stopAccessLogs = startAccessLogWorker(deps, config.accessLogIntervalMs ?? 5 * 60_000, leaseFor("access-logs"));
  const stopCheckpoints = startCheckpointWorker(deps, config.auditCheckpointIntervalMs, leaseFor("audit-checkpoints"));
  const stopIntentRecovery = startIntentRecovery(deps, config.auditIntentRecoveryAfterMs ?? 2 * 60_000, leaseFor("audit-intents"));
  const stopScrub = startIntegrityScrub(deps);
  const stopKeys = startKeyMaintenance(deps, undefined, leaseFor("key-maintenance"));
  // Every instance runs one; the lease in the database lets only one of them work at a time.
  const dispatcher = config.eventDispatcher?.enabled ? new EventDispatcher(deps, config.eventDispatcher) : undefined;
  dispatcher?.start();
  const commands = config.commands ? new CommandConsumerSupervisor(deps, config.commands) : undefined;
  commands?.start();
  // A migration this region's previous process was running: release it and finish its journal.
  const recovered = deps.migrations.recover(deps).catch((err: unknown) => logger.error({ err: (err as Error).message }, "storage migration recovery failed"));

  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  // Node would answer `Expect: 100-continue` itself before the app ran; the S3 body reader sends
  // `100 Continue` only once authentication and the operation's checks passed.
  server.on("checkContinue", (req, res) => server.emit("request", req, res));
  // Any other Expect value: Node would answer 417 itself; S3 ignores what it does not know.
  server.on("checkExpectation", (req, res) => server.emit("request", req, res));
  // Large uploads can legitimately take long; only idle sockets are reaped.
  if ("requestTimeout" in server) server.requestTimeout = 0;
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host, database: databaseKind, storage: deps.storage.type === "fs" ? config.storageDir : `s3:${config.hostedS3?.bucket}`, trustedCustomerHeader: config.trustedCustomerHeader }, "regional gateway listening");
  if (!config.adminToken) logger.warn("no ADMIN_TOKEN or ADMIN_TOKEN_SHA256 configured: management APIs accept only tokens already in the database");
  if (!config.masterKeys) logger.warn("no MASTER_KEYS configured: S3 access keys cannot be created (503) and stored ones cannot be used");
  if (!config.gatewaySharedSecret) {
    logger.warn("no GATEWAY_SHARED_SECRET configured: forwarding proofs from the global router are not checked, so x-forwarded-* and x-s3gw-* headers are ignored");
  }
  if (!config.globalRouterUrl) logger.warn("no GLOBAL_ROUTER_URL configured: access keys are not registered with a global router (signed requests must come to this region directly)");
  if (config.trustedCustomerHeader) {
    logger.warn("trusted-header mode: S3 requests are identified by X-Customer-ID without credentials; use only on loopback or behind a trusted edge");
  }
  return {
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    port,
    deps,
    close: async () => {
      stopSweeper();
      stopGdprTimer();
      stopStorageMonitor();
      stopLifecycle();
      stopIntentRecovery();
      stopAccessLogs();
      await Promise.all(leases.map((l) => l.release().catch(() => {})));
      stopCheckpoints();
      stopKeys();
      // Sends in flight finish (bounded) and the lease is released, so another instance takes over at once.
      await dispatcher?.stop();
      // Before the database closes: the command in hand still needs it to commit and be acknowledged.
      await commands?.stop();
      await stopScrub();
      // A running migration finishes the object it is moving, then stops (resumable).
      await recovered;
      await deps.migrations.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
      await closeDeps();
    },
  };
}

/** Server access log delivery, on the instance holding the region's `access-logs` lease only. */
function startAccessLogWorker(deps: Deps, intervalMs: number, lease: WorkerLease): () => void {
  return startPeriodic(
    "access log delivery",
    async () => {
      const report = await deliverAccessLogs(deps, deps.clock.now());
      if (report.delivered > 0 || report.failed > 0) deps.logger.info({ worker: "access-log", holder: lease.holder, ...report }, "access logs delivered");
    },
    intervalMs,
    deps.logger,
    { lease },
  );
}

/**
 * Audit rows of object changes that committed without them (audit-recovery.ts), at start-up
 * (what a crash left) and then as often as the age bound, on the lease holder only.
 */
function startIntentRecovery(deps: Deps, afterMs: number, lease: WorkerLease): () => void {
  return startPeriodic(
    "audit intent recovery",
    async () => {
      await recoverAuditIntents(deps, afterMs);
    },
    afterMs,
    deps.logger,
    { lease },
  );
}

/** The lifecycle run on the instance holding the region's `lifecycle` lease only; each run is logged with the holder. */
function startLeasedLifecycleWorker(deps: Deps, intervalMs: number, lease: WorkerLease): () => void {
  return startPeriodic(
    "lifecycle run",
    async () => {
      const report = await runLifecycle(deps, deps.clock.now());
      deps.logger.info({ worker: "lifecycle", holder: lease.holder, expired: report.expired }, "lifecycle run by the lease holder");
    },
    intervalMs,
    deps.logger,
    { lease },
  );
}
