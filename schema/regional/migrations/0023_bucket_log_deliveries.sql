CREATE TABLE "bucket_log_deliveries" (
	"bucket_id" uuid PRIMARY KEY NOT NULL,
	"delivered_through" bigint NOT NULL,
	"pending_through" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bucket_log_deliveries" ADD CONSTRAINT "bucket_log_deliveries_bucket_id_buckets_bucket_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."buckets"("bucket_id") ON DELETE cascade ON UPDATE no action;