import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** A message shown once on the next console page (Post/Redirect/Get); never a secret. */
export interface ConsoleFlash { kind: "ok" | "error"; text: string }

/**
 * Web console sessions (`/console`). The browser holds a random 32-byte session id in an
 * HttpOnly cookie; the row keys on its SHA-256, so a read of this table yields no usable cookie.
 * The bearer token the user signed in with is sealed by the region's master key ring, bound to
 * the session hash (a sealed token copied onto another row does not open). A session ends when
 * idle past the configured idle expiry, at `expires_at` (absolute), at sign-out (row deleted),
 * or when the API refuses its token (revoked).
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    sessionHash: text("session_hash").primaryKey(),
    sealedToken: text("sealed_token").notNull(),
    tokenId: text("token_id").notNull(),
    role: text("role").$type<"admin" | "compliance_officer" | "auditor">().notNull(),
    customerId: text("customer_id"),
    /** Keys the CSRF tokens of this session's forms (HMAC), random per session. */
    csrfSecret: text("csrf_secret").notNull(),
    flash: jsonb("flash").$type<ConsoleFlash>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  // Expired rows are swept by expiry at each sign-in.
  (t) => [index("console_sessions_expires_idx").on(t.expiresAt)],
);
