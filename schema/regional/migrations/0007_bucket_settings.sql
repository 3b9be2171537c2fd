CREATE TABLE "bucket_settings" (
	"bucket_id" uuid NOT NULL,
	"customer_id" text NOT NULL,
	"kind" text NOT NULL,
	"document" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bucket_settings_bucket_id_kind_pk" PRIMARY KEY("bucket_id","kind")
);
--> statement-breakpoint
ALTER TABLE "bucket_settings" ADD CONSTRAINT "bucket_settings_bucket_id_buckets_bucket_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."buckets"("bucket_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Bucket settings are read on the hot path (CORS on every response, policy on every request), so
-- gateways cache them; a change notifies channel s3gw_cache like the tables of migration 0004
-- (payload t = 'bucket_settings', c = customer_id).
CREATE TRIGGER bucket_settings_cache_notify AFTER INSERT OR UPDATE OR DELETE ON bucket_settings FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER bucket_settings_cache_truncate AFTER TRUNCATE ON bucket_settings FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
