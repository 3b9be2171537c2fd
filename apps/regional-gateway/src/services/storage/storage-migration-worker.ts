import { randomUUID } from "node:crypto";
import { apiError, describePrincipal, type Principal } from "@s3gw/core";
import { storageMigrations } from "@s3gw/schema-regional";
import { and, desc, eq, isNotNull, lt, ne, or, isNull } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { executeMigration, planMigration, type MigrationRow, type StartMigration } from "./storage-migration.ts";
import { recoverMigrationItems } from "./storage-migration-recovery.ts";

/** A run whose heartbeat is older than this belongs to a process that died. */
const STALE_AFTER_MS = 120_000;

/**
 * Runs storage migrations inside the gateway, so they share its database and its view of
 * every object (a second process moving objects behind a live gateway lost them). One run at
 * a time region-wide (a unique index on the active flag). Built in the composition root;
 * holds only what this instance is executing.
 */
export class StorageMigrationWorker {
  readonly instanceId = randomUUID();
  private current: { id: string; done: Promise<void> } | undefined;
  private stopping = false;

  /** Validates, records and starts a run in the background; returns its row at once. */
  async start(deps: Deps, input: StartMigration, principal: Principal): Promise<MigrationRow> {
    if (this.stopping) throw apiError.unavailable("the gateway is shutting down");
    if (input.protection_override && principal.role !== "admin") throw apiError.forbidden("only an admin may override protection");
    const { customerId } = await planMigration(deps, input);
    await this.recover(deps);
    const by = describePrincipal(principal);
    const now = deps.clock.now();
    let row: MigrationRow | undefined;
    try {
      [row] = await deps.db
        .insert(storageMigrations)
        .values({
          customerId, fromTarget: input.from_target ?? null, toTarget: input.to_target, dryRun: input.dry_run ?? false, batchSize: input.batch_size ?? 100,
          status: "running", active: true, requestedBy: by, owner: this.instanceId, heartbeatAt: now, createdAt: now,
          protectionOverrideBy: input.protection_override ? by : null, protectionOverrideReason: input.protection_override?.reason ?? null,
        })
        .returning();
    } catch (err) {
      const [active] = await deps.db.select({ id: storageMigrations.migrationId }).from(storageMigrations).where(eq(storageMigrations.active, true)).limit(1);
      if (active) throw apiError.conflict(`another storage migration is running (${active.id}); wait for it or cancel it`);
      throw err;
    }
    const run = row!;
    this.current = { id: run.migrationId, done: this.execute(deps, run) };
    return run;
  }

  /** Asks the run to stop after the object it is moving; any instance's run, through the database. */
  async cancel(deps: Deps, migrationId: string, principal: Principal): Promise<MigrationRow> {
    await deps.db
      .update(storageMigrations)
      .set({ status: "cancelling", cancelRequestedAt: deps.clock.now(), cancelRequestedBy: describePrincipal(principal) })
      .where(and(eq(storageMigrations.migrationId, migrationId), eq(storageMigrations.active, true), isNull(storageMigrations.cancelRequestedAt)));
    return this.get(deps, migrationId);
  }

  async get(deps: Deps, migrationId: string): Promise<MigrationRow> {
    const [row] = await deps.db.select().from(storageMigrations).where(eq(storageMigrations.migrationId, migrationId)).limit(1);
    if (!row) throw apiError.notFound(`no storage migration ${migrationId}`);
    return row;
  }

  list(deps: Deps, limit = 50): Promise<MigrationRow[]> {
    return deps.db.select().from(storageMigrations).orderBy(desc(storageMigrations.createdAt)).limit(limit);
  }

  /** Releases runs whose process died (stale heartbeat) and finishes their journal. */
  async recover(deps: Deps): Promise<number> {
    const cutoff = new Date(deps.clock.now().getTime() - STALE_AFTER_MS);
    await deps.db
      .update(storageMigrations)
      .set({ status: "interrupted", active: null, finishedAt: deps.clock.now(), error: "the gateway running it stopped; run again to resume" })
      .where(and(eq(storageMigrations.active, true), ne(storageMigrations.owner, this.instanceId), or(isNull(storageMigrations.heartbeatAt), lt(storageMigrations.heartbeatAt, cutoff))));
    return recoverMigrationItems(deps);
  }

  /** For shutdown: the running migration finishes its current object and ends as interrupted. */
  async stop(): Promise<void> {
    this.stopping = true;
    while (this.current) await this.current.done;
  }

  /** Resolves when the run this instance is executing (if any) has ended. */
  async idle(): Promise<void> {
    while (this.current) await this.current.done;
  }

  private async execute(deps: Deps, run: MigrationRow): Promise<void> {
    let status: MigrationRow["status"] = "failed";
    let error: string | null = null;
    try {
      const shouldStop = async () => {
        if (this.stopping) return true;
        const [r] = await deps.db.select({ at: storageMigrations.cancelRequestedAt }).from(storageMigrations).where(and(eq(storageMigrations.migrationId, run.migrationId), isNotNull(storageMigrations.cancelRequestedAt)));
        return r !== undefined;
      };
      const result = await executeMigration(deps, run, shouldStop);
      status = result === "completed" ? "completed" : this.stopping ? "interrupted" : "cancelled";
      if (status === "interrupted") error = "the gateway shut down; run again to resume";
    } catch (err) {
      error = (err as Error).message.slice(0, 500);
      deps.logger.error({ migration_id: run.migrationId, err: error }, "storage migration failed");
    }
    try {
      await deps.db.update(storageMigrations).set({ status, error, active: null, finishedAt: deps.clock.now() }).where(eq(storageMigrations.migrationId, run.migrationId));
      // Whatever the run left undelivered or undeleted (a failed audit append, a crash mid-object).
      await recoverMigrationItems(deps);
    } catch (err) {
      deps.logger.error({ migration_id: run.migrationId, err: (err as Error).message }, "could not finish storage migration bookkeeping");
    } finally {
      this.current = undefined;
    }
    deps.logger.info({ migration_id: run.migrationId, status }, "storage migration ended");
  }
}
