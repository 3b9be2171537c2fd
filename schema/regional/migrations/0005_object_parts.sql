CREATE TABLE "object_parts" (
	"manifest_key" text NOT NULL,
	"part_number" integer NOT NULL,
	"offset_bytes" bigint NOT NULL,
	"size_bytes" bigint NOT NULL,
	"storage_key" text NOT NULL,
	"etag" text NOT NULL,
	"sha256" text NOT NULL,
	"customer_id" text NOT NULL,
	"storage_provider_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "object_parts_manifest_key_part_number_pk" PRIMARY KEY("manifest_key","part_number")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "object_parts_storage_key_uq" ON "object_parts" USING btree ("storage_key");--> statement-breakpoint
CREATE INDEX "object_parts_created_idx" ON "object_parts" USING btree ("created_at");