CREATE TABLE "customers" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"customer_name" text NOT NULL,
	"region_id" text NOT NULL,
	"country" text NOT NULL,
	"legal_zone" text NOT NULL,
	"data_residency_requirement" text NOT NULL,
	"compliance_requirements" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"primary_contact_email" text NOT NULL,
	"compliance_officer_email" text NOT NULL,
	"legal_basis" text,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "buckets" (
	"bucket_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text NOT NULL,
	"bucket_name" text COLLATE "C" NOT NULL,
	"region_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "object_metadata" (
	"object_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text NOT NULL,
	"bucket_id" uuid NOT NULL,
	"bucket_name" text COLLATE "C" NOT NULL,
	"object_key" text COLLATE "C" NOT NULL,
	"region_id" text NOT NULL,
	"storage_provider_id" text NOT NULL,
	"storage_country" text NOT NULL,
	"storage_key" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"etag" text NOT NULL,
	"sha256" text NOT NULL,
	"content_type" text NOT NULL,
	"user_metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"system_metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"parts_count" integer,
	"compliance_status" text DEFAULT 'compliant' NOT NULL,
	"legal_hold" boolean DEFAULT false NOT NULL,
	"legal_hold_reason" text,
	"legal_hold_set_by" text,
	"legal_hold_set_at" timestamp with time zone,
	"retention_mode" text,
	"processing_restricted" boolean DEFAULT false NOT NULL,
	"data_subject_id" text,
	"last_verified_at" timestamp with time zone,
	"data_classification" text DEFAULT 'internal' NOT NULL,
	"retention_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_modified" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "operations_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"customer_id" text,
	"operation_type" text NOT NULL,
	"bucket_name" text,
	"object_key" text,
	"result" text NOT NULL,
	"status_code" integer NOT NULL,
	"error_code" text,
	"bytes_transferred" bigint DEFAULT 0 NOT NULL,
	"source_ip" text,
	"source_country" text,
	"cross_border_transfer" boolean DEFAULT false NOT NULL,
	"compliance_info" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"duration_ms" integer,
	"principal" text,
	"prev_hash" text NOT NULL,
	"row_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compliance_events" (
	"event_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text,
	"event_type" text NOT NULL,
	"severity" text NOT NULL,
	"event_description" text NOT NULL,
	"bucket_name" text,
	"object_key" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"remediation_deadline" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolution_note" text,
	"resolved_by" text,
	"dedupe_key" text,
	CONSTRAINT "compliance_events_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "data_subject_requests" (
	"request_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text NOT NULL,
	"data_subject_id" text NOT NULL,
	"request_type" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"response_deadline" timestamp with time zone NOT NULL,
	"affected_objects" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"result" jsonb,
	"notes" text,
	"requested_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "compliance_rules" (
	"rule_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" text NOT NULL,
	"rule_type" text NOT NULL,
	"rule_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"token_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"customer_id" text,
	"token_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "access_keys" (
	"access_key_id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"description" text,
	"secret_ciphertext" text NOT NULL,
	"secret_key_id" text NOT NULL,
	"permission" text DEFAULT 'read-write' NOT NULL,
	"allowed_buckets" jsonb,
	"status" text DEFAULT 'active' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "multipart_parts" (
	"upload_id" text NOT NULL,
	"part_number" integer NOT NULL,
	"storage_key" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"etag" text NOT NULL,
	"sha256" text NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "multipart_parts_upload_id_part_number_pk" PRIMARY KEY("upload_id","part_number")
);
--> statement-breakpoint
CREATE TABLE "multipart_uploads" (
	"upload_id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"bucket_id" uuid NOT NULL,
	"bucket_name" text COLLATE "C" NOT NULL,
	"object_key" text COLLATE "C" NOT NULL,
	"storage_provider_id" text NOT NULL,
	"storage_country" text NOT NULL,
	"content_type" text NOT NULL,
	"user_metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"system_metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"initiated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "storage_targets" (
	"target_id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"provider_label" text NOT NULL,
	"endpoint" text,
	"region" text NOT NULL,
	"country" text NOT NULL,
	"bucket" text NOT NULL,
	"path_prefix" text,
	"access_key_id" text NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"session_token_ciphertext" text,
	"secret_fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer_storage" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"target_id" text NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"allow_hosted_fallback" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'unvalidated' NOT NULL,
	"last_error_class" text,
	"last_error" text,
	"last_checked_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"activation_override_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bucket_lifecycle" (
	"bucket_id" uuid PRIMARY KEY NOT NULL,
	"rules" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "buckets" ADD CONSTRAINT "buckets_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "object_metadata" ADD CONSTRAINT "object_metadata_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "object_metadata" ADD CONSTRAINT "object_metadata_bucket_id_buckets_bucket_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."buckets"("bucket_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_subject_requests" ADD CONSTRAINT "data_subject_requests_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_rules" ADD CONSTRAINT "compliance_rules_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_keys" ADD CONSTRAINT "access_keys_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "multipart_parts" ADD CONSTRAINT "multipart_parts_upload_id_multipart_uploads_upload_id_fk" FOREIGN KEY ("upload_id") REFERENCES "public"."multipart_uploads"("upload_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "multipart_uploads" ADD CONSTRAINT "multipart_uploads_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "multipart_uploads" ADD CONSTRAINT "multipart_uploads_bucket_id_buckets_bucket_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."buckets"("bucket_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_storage" ADD CONSTRAINT "customer_storage_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_storage" ADD CONSTRAINT "customer_storage_target_id_storage_targets_target_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."storage_targets"("target_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bucket_lifecycle" ADD CONSTRAINT "bucket_lifecycle_bucket_id_buckets_bucket_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."buckets"("bucket_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "buckets_customer_name_uq" ON "buckets" USING btree ("customer_id","bucket_name");--> statement-breakpoint
CREATE UNIQUE INDEX "object_metadata_bucket_key_uq" ON "object_metadata" USING btree ("bucket_id","object_key");--> statement-breakpoint
CREATE UNIQUE INDEX "object_metadata_storage_key_uq" ON "object_metadata" USING btree ("storage_key");--> statement-breakpoint
CREATE INDEX "object_metadata_customer_subject_idx" ON "object_metadata" USING btree ("customer_id","data_subject_id");--> statement-breakpoint
CREATE INDEX "operations_log_customer_time_idx" ON "operations_log" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "operations_log_time_idx" ON "operations_log" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "compliance_events_open_idx" ON "compliance_events" USING btree ("customer_id","resolved_at");--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_rules_customer_type_uq" ON "compliance_rules" USING btree ("customer_id","rule_type");