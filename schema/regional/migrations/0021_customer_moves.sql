CREATE TABLE "customer_moves" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"to_region" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"step" text DEFAULT 'fence' NOT NULL,
	"prior" jsonb NOT NULL,
	"cursor" jsonb,
	"versions_copied" bigint DEFAULT 0 NOT NULL,
	"bytes_copied" bigint DEFAULT 0 NOT NULL,
	"requested_by" text NOT NULL,
	"result" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "internal_request_nonces" (
	"signature" text PRIMARY KEY NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "moved_to_region" text;--> statement-breakpoint
ALTER TABLE "customer_moves" ADD CONSTRAINT "customer_moves_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;