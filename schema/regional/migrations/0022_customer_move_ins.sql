CREATE TABLE "customer_move_ins" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"from_region" text NOT NULL,
	"status" text DEFAULT 'receiving' NOT NULL,
	"prior" jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "customer_move_ins" ADD CONSTRAINT "customer_move_ins_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;