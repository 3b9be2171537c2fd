import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * One storage migration run, executed by the gateway's own migration worker (never by a second
 * process holding the database). `active` is true only while a worker runs it: the unique index
 * lets one run at a time exist region-wide, across every gateway instance sharing the database.
 */
export const storageMigrations = pgTable(
  "storage_migrations",
  {
    migrationId: uuid("migration_id").primaryKey().defaultRandom(),
    /** Null: every customer with objects on `from_target` (or not yet on `to_target`). */
    customerId: text("customer_id"),
    fromTarget: text("from_target"),
    toTarget: text("to_target").notNull(),
    dryRun: boolean("dry_run").notNull().default(false),
    batchSize: integer("batch_size").notNull(),
    status: text("status").$type<"running" | "cancelling" | "cancelled" | "completed" | "failed" | "interrupted">().notNull(),
    active: boolean("active"),
    requestedBy: text("requested_by").notNull(),
    /** Set when an admin allowed protected objects onto a target without object lock, with why. */
    protectionOverrideBy: text("protection_override_by"),
    protectionOverrideReason: text("protection_override_reason"),
    total: integer("total").notNull().default(0),
    processed: integer("processed").notNull().default(0),
    migrated: integer("migrated").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
    /** The first skipped and failed objects with their reasons (bounded). */
    issues: jsonb("issues").$type<{ bucket: string; key: string; outcome: "skipped" | "failed"; reason: string }[]>().notNull().default([]),
    error: text("error"),
    /** Which gateway instance runs it, and when it last made progress (a stale heartbeat means its process died). */
    owner: text("owner"),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    cancelRequestedAt: timestamp("cancel_requested_at", { withTimezone: true }),
    cancelRequestedBy: text("cancel_requested_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("storage_migrations_one_active_uq").on(t.active), index("storage_migrations_created_idx").on(t.createdAt)],
);

/**
 * The per-object journal of a run, and the outbox of its audit rows. An item is written before
 * the copy (`copying`, so a crash leaves a record of the copy to remove), gets its destination key
 * once the bytes are there, and becomes `switched` in the same transaction that points the
 * object's metadata at the copy, carrying the audit row (`audit_row`) that the worker then
 * appends to the operations log (`audited_at`). `done` once the source bytes are gone.
 */
export const storageMigrationItems = pgTable(
  "storage_migration_items",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    migrationId: uuid("migration_id").notNull().references(() => storageMigrations.migrationId),
    objectId: uuid("object_id").notNull(),
    customerId: text("customer_id").notNull(),
    fromTarget: text("from_target").notNull(),
    toTarget: text("to_target").notNull(),
    sourceKey: text("source_key").notNull(),
    destKey: text("dest_key"),
    state: text("state").$type<"copying" | "switched" | "done" | "abandoned">().notNull(),
    auditRow: jsonb("audit_row").$type<Record<string, unknown>>(),
    auditedAt: timestamp("audited_at", { withTimezone: true }),
    /** Why the source bytes are still there after the switch (a retained copy on a locked bucket). */
    sourceLeft: text("source_left"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("storage_migration_items_state_idx").on(t.state), index("storage_migration_items_run_idx").on(t.migrationId)],
);
