ALTER TABLE "multipart_parts" ADD COLUMN "checksum" text;--> statement-breakpoint
ALTER TABLE "multipart_uploads" ADD COLUMN "checksum_algorithm" text;