CREATE TABLE "storage_migration_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"migration_id" uuid NOT NULL,
	"object_id" uuid NOT NULL,
	"customer_id" text NOT NULL,
	"from_target" text NOT NULL,
	"to_target" text NOT NULL,
	"source_key" text NOT NULL,
	"dest_key" text,
	"state" text NOT NULL,
	"audit_row" jsonb,
	"audited_at" timestamp with time zone,
	"source_left" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "storage_migrations" (
	"migration_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text,
	"from_target" text,
	"to_target" text NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"batch_size" integer NOT NULL,
	"status" text NOT NULL,
	"active" boolean,
	"requested_by" text NOT NULL,
	"protection_override_by" text,
	"protection_override_reason" text,
	"total" integer DEFAULT 0 NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"migrated" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"issues" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"owner" text,
	"heartbeat_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone,
	"cancel_requested_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "storage_targets" ADD COLUMN "country_source" text DEFAULT 'declared' NOT NULL;--> statement-breakpoint
ALTER TABLE "storage_targets" ADD COLUMN "country_declared_by" text;--> statement-breakpoint
ALTER TABLE "storage_targets" ADD COLUMN "country_declared_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "customer_storage" ADD COLUMN "credentials_override_by" text;--> statement-breakpoint
ALTER TABLE "storage_migration_items" ADD CONSTRAINT "storage_migration_items_migration_id_storage_migrations_migration_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."storage_migrations"("migration_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "storage_migration_items_state_idx" ON "storage_migration_items" USING btree ("state");--> statement-breakpoint
CREATE INDEX "storage_migration_items_run_idx" ON "storage_migration_items" USING btree ("migration_id");--> statement-breakpoint
CREATE UNIQUE INDEX "storage_migrations_one_active_uq" ON "storage_migrations" USING btree ("active");--> statement-breakpoint
CREATE INDEX "storage_migrations_created_idx" ON "storage_migrations" USING btree ("created_at");