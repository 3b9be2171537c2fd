CREATE TABLE "customer_offboarding" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"step" text DEFAULT 'freeze' NOT NULL,
	"reason" text NOT NULL,
	"export_requested" boolean NOT NULL,
	"requested_by" text NOT NULL,
	"result" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "suspended_reason" text;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "suspended_reads" text;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "suspended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "customer_offboarding" ADD CONSTRAINT "customer_offboarding_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;