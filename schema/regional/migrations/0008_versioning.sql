CREATE TABLE "object_delete_markers" (
	"marker_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text NOT NULL,
	"bucket_id" uuid NOT NULL,
	"bucket_name" text COLLATE "C" NOT NULL,
	"object_key" text COLLATE "C" NOT NULL,
	"version_id" text NOT NULL,
	"version_stamp" bigint NOT NULL,
	"is_latest" boolean NOT NULL,
	"last_modified" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "object_metadata_bucket_key_uq";--> statement-breakpoint
ALTER TABLE "buckets" ADD COLUMN "versioning" text;--> statement-breakpoint
ALTER TABLE "buckets" ADD COLUMN "object_lock_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "object_metadata" ADD COLUMN "version_id" text DEFAULT 'null' NOT NULL;--> statement-breakpoint
ALTER TABLE "object_metadata" ADD COLUMN "version_stamp" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "object_metadata" ADD COLUMN "is_latest" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "object_delete_markers" ADD CONSTRAINT "object_delete_markers_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "object_delete_markers" ADD CONSTRAINT "object_delete_markers_bucket_id_buckets_bucket_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."buckets"("bucket_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "object_delete_markers_bucket_key_version_uq" ON "object_delete_markers" USING btree ("bucket_id","object_key","version_id");--> statement-breakpoint
CREATE UNIQUE INDEX "object_delete_markers_bucket_key_latest_uq" ON "object_delete_markers" USING btree ("bucket_id","object_key") WHERE "object_delete_markers"."is_latest";--> statement-breakpoint
CREATE UNIQUE INDEX "object_metadata_bucket_key_version_uq" ON "object_metadata" USING btree ("bucket_id","object_key","version_id");--> statement-breakpoint
CREATE UNIQUE INDEX "object_metadata_bucket_key_latest_uq" ON "object_metadata" USING btree ("bucket_id","object_key") WHERE "object_metadata"."is_latest";