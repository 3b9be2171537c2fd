import { sql } from "drizzle-orm";
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const EVENT_CATEGORIES = ["s3", "compliance"] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

/**
 * The transactional outbox: one row per event, inserted in the same transaction (or the same
 * statement) as the change it describes, so there is no event without its committed change and
 * no committed change without its event. The dispatcher fans each row out into deliveries.
 *
 * `seq` is the event's sequence: writers of one object key are serialised by the key's lock
 * until commit, so for one key it grows in commit order (the per-object `sequencer`). Across
 * keys it does not, which is why fan-out picks rows by `fanned_out_at is null`, never by a
 * cursor on `seq`.
 */
export const eventOutbox = pgTable(
  "event_outbox",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    eventId: uuid("event_id").notNull().unique().defaultRandom(),
    category: text("category").$type<EventCategory>().notNull(),
    /** `s3:ObjectCreated:Put`, `integrity.mismatch`, ... */
    eventName: text("event_name").notNull(),
    customerId: text("customer_id"),
    /** Deliveries of one ordering key to one target go out in `seq` order: `<bucket id>/<key>` for object events. */
    orderingKey: text("ordering_key").notNull(),
    /** Object events: the targets the bucket's configuration matched at write time; compliance events: resolved at fan-out. */
    targetIds: jsonb("target_ids").$type<string[]>(),
    /** The event without its envelope (id, sequence, time), which the dispatcher adds from this row. */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    fannedOutAt: timestamp("fanned_out_at", { withTimezone: true }),
  },
  (t) => [index("event_outbox_pending_idx").on(t.seq).where(sql`${t.fannedOutAt} is null`)],
);
