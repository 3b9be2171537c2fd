CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"region" text NOT NULL,
	"last_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"row_count" bigint NOT NULL,
	"payload" text NOT NULL,
	"signature" text NOT NULL,
	"key_fingerprint" text NOT NULL,
	"worm_storage_key" text NOT NULL,
	"retention_mode" text NOT NULL,
	"retain_until" timestamp with time zone NOT NULL,
	"provider_locked" boolean NOT NULL,
	"trigger" text NOT NULL,
	"principal" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_checkpoints_last_id_idx" ON "audit_checkpoints" USING btree ("last_id");