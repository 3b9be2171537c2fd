CREATE TABLE "completed_uploads" (
	"upload_id" text PRIMARY KEY NOT NULL,
	"bucket_id" uuid NOT NULL,
	"object_key" text COLLATE "C" NOT NULL,
	"parts_digest" text NOT NULL,
	"storage_key" text NOT NULL,
	"completed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "completed_uploads" ADD CONSTRAINT "completed_uploads_bucket_id_buckets_bucket_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."buckets"("bucket_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "completed_uploads_completed_idx" ON "completed_uploads" USING btree ("completed_at");