CREATE TABLE "compliance_subscriptions" (
	"subscription_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"target_id" text NOT NULL,
	"customer_id" text,
	"events" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "compliance_subscriptions" ADD CONSTRAINT "compliance_subscriptions_target_id_notification_targets_target_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."notification_targets"("target_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_subscriptions" ADD CONSTRAINT "compliance_subscriptions_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_subscriptions_target_customer_uq" ON "compliance_subscriptions" USING btree ("target_id",coalesce("customer_id", ''));--> statement-breakpoint
CREATE INDEX "compliance_subscriptions_customer_idx" ON "compliance_subscriptions" USING btree ("customer_id");