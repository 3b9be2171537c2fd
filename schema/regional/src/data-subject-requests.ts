import { jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";

/** GDPR Articles 15-22 requests, tracked against their statutory response deadline. */
export const dataSubjectRequests = pgTable("data_subject_requests", {
  requestId: uuid("request_id").primaryKey().defaultRandom(),
  customerId: text("customer_id").notNull().references(() => customers.customerId),
  dataSubjectId: text("data_subject_id").notNull(),
  requestType: text("request_type")
    .$type<"access" | "erasure" | "rectification" | "restriction" | "portability" | "objection">()
    .notNull(),
  status: text("status").$type<"pending" | "in_progress" | "completed" | "rejected">().notNull().default("pending"),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  responseDeadline: timestamp("response_deadline", { withTimezone: true }).notNull(),
  affectedObjects: jsonb("affected_objects").$type<unknown[]>().notNull().default([]),
  result: jsonb("result").$type<Record<string, unknown>>(),
  notes: text("notes"),
  requestedBy: text("requested_by"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp("completed_at", { withTimezone: true }),
});
