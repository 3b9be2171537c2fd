import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Management API bearer tokens. Only a SHA-256 of the secret is stored; the secret is shown once. */
export const apiTokens = pgTable("api_tokens", {
  tokenId: uuid("token_id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  role: text("role").$type<"admin" | "compliance_officer" | "auditor">().notNull(),
  customerId: text("customer_id"),
  tokenHash: text("token_hash").notNull().unique(),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});
