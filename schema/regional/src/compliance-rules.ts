import { boolean, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";

export const complianceRules = pgTable(
  "compliance_rules",
  {
    ruleId: uuid("rule_id").primaryKey().defaultRandom(),
    customerId: text("customer_id").notNull().references(() => customers.customerId),
    ruleType: text("rule_type").notNull(),
    ruleConfig: jsonb("rule_config").$type<Record<string, unknown>>().notNull().default({}),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("compliance_rules_customer_type_uq").on(t.customerId, t.ruleType)],
);
