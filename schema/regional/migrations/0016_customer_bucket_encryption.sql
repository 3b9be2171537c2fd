ALTER TABLE "storage_targets" ADD COLUMN "bucket_sse" text;--> statement-breakpoint
ALTER TABLE "storage_targets" ADD COLUMN "gateway_encryption" boolean DEFAULT true NOT NULL;