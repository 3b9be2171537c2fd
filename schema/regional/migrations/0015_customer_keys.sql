-- Customer keys (KEKs) with their sealed versions, and crypto-shredding requests. Gateways cache
-- a customer's key state and unsealed KEK material, so changes to customer_keys and
-- customer_key_versions notify channel s3gw_cache like migration 0004 (payload t = table,
-- c = customer_id; the function of migration 0011).
CREATE TABLE "crypto_shred_requests" (
	"request_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text NOT NULL,
	"reason" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"execute_after" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"executed_at" timestamp with time zone,
	"cancelled_by" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer_key_versions" (
	"key_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"version" integer NOT NULL,
	"material" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"destroyed_at" timestamp with time zone,
	CONSTRAINT "customer_key_versions_key_id_version_pk" PRIMARY KEY("key_id","version")
);
--> statement-breakpoint
CREATE TABLE "customer_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"description" text,
	"is_default" boolean DEFAULT false NOT NULL,
	"state" text DEFAULT 'Enabled' NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"deletion_date" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crypto_shred_requests" ADD CONSTRAINT "crypto_shred_requests_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_key_versions" ADD CONSTRAINT "customer_key_versions_key_id_customer_keys_key_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."customer_keys"("key_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_keys" ADD CONSTRAINT "customer_keys_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "crypto_shred_one_pending_uq" ON "crypto_shred_requests" USING btree ("customer_id") WHERE "crypto_shred_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "crypto_shred_customer_requested_idx" ON "crypto_shred_requests" USING btree ("customer_id","requested_at");--> statement-breakpoint
CREATE UNIQUE INDEX "customer_keys_one_default_uq" ON "customer_keys" USING btree ("customer_id") WHERE "customer_keys"."is_default";--> statement-breakpoint
CREATE INDEX "customer_keys_customer_created_idx" ON "customer_keys" USING btree ("customer_id","created_at","key_id");
--> statement-breakpoint
CREATE TRIGGER customer_keys_cache_notify AFTER INSERT OR UPDATE OR DELETE ON customer_keys FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER customer_keys_cache_truncate AFTER TRUNCATE ON customer_keys FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER customer_key_versions_cache_notify AFTER INSERT OR UPDATE OR DELETE ON customer_key_versions FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER customer_key_versions_cache_truncate AFTER TRUNCATE ON customer_key_versions FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
