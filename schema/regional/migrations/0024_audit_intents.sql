CREATE TABLE "audit_intents" (
	"intent_id" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"operation_type" text NOT NULL,
	"bucket_name" text NOT NULL,
	"object_key" text NOT NULL,
	"version_id" text,
	"status_code" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_intents_created_idx" ON "audit_intents" USING btree ("created_at");