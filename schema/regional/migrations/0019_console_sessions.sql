CREATE TABLE "console_sessions" (
	"session_hash" text PRIMARY KEY NOT NULL,
	"sealed_token" text NOT NULL,
	"token_id" text NOT NULL,
	"role" text NOT NULL,
	"customer_id" text,
	"csrf_secret" text NOT NULL,
	"flash" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "console_sessions_expires_idx" ON "console_sessions" USING btree ("expires_at");