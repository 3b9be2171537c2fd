ALTER TABLE "object_metadata" ADD COLUMN "encryption" jsonb;--> statement-breakpoint
ALTER TABLE "multipart_parts" ADD COLUMN "encryption" jsonb;--> statement-breakpoint
ALTER TABLE "multipart_uploads" ADD COLUMN "encryption" jsonb;--> statement-breakpoint
ALTER TABLE "object_parts" ADD COLUMN "encryption" jsonb;