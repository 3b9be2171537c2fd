import { bigint, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";

export const MOVE_STEPS = ["fence", "snapshot", "objects", "markers", "verify", "switch", "activate", "erase", "done"] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];

/** The customer's standing before its move, restored on the target when it takes over. */
export interface PriorStanding {
  status: "active" | "suspended";
  suspendedReason: string | null;
  suspendedReads: "allowed" | "refused" | null;
}

/**
 * A customer's move to another region, kept by the source region (one per customer): the step
 * reached, where the object copy stopped (`cursor`) and what each step did. Resumable: a run
 * starts again at `step` and `cursor`. Once done, the customer row is the tombstone.
 */
export const customerMoves = pgTable("customer_moves", {
  customerId: text("customer_id").primaryKey().references(() => customers.customerId),
  toRegion: text("to_region").notNull(),
  status: text("status").$type<"running" | "failed" | "completed">().notNull().default("running"),
  step: text("step").$type<MoveStep>().notNull().default("fence"),
  prior: jsonb("prior").$type<PriorStanding>().notNull(),
  /** The last object version (bucket, key, version id) the target acknowledged, in copy order. */
  cursor: jsonb("cursor").$type<{ bucket: string; key: string; versionId: string } | null>(),
  versionsCopied: bigint("versions_copied", { mode: "number" }).notNull().default(0),
  bytesCopied: bigint("bytes_copied", { mode: "number" }).notNull().default(0),
  requestedBy: text("requested_by").notNull(),
  result: jsonb("result").$type<Record<string, unknown>>().notNull().default({}),
  lastError: text("last_error"),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp("completed_at", { withTimezone: true }),
});

/**
 * Signatures of region-to-region calls this region accepted, kept for the signature window:
 * the same signed request presented twice (a replay) is refused.
 */
export const internalRequestNonces = pgTable("internal_request_nonces", {
  signature: text("signature").primaryKey(),
  seenAt: timestamp("seen_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The target region's side of a move: which region is handing the customer over, and the
 * standing to restore once the routing has switched (status receiving until then). Kept after
 * the move as the record of where the customer came from.
 */
export const customerMoveIns = pgTable("customer_move_ins", {
  customerId: text("customer_id").primaryKey().references(() => customers.customerId),
  fromRegion: text("from_region").notNull(),
  status: text("status").$type<"receiving" | "active">().notNull().default("receiving"),
  prior: jsonb("prior").$type<PriorStanding>().notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  activatedAt: timestamp("activated_at", { withTimezone: true }),
});
