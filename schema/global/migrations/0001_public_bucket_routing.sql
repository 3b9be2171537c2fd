CREATE TABLE "public_bucket_routing" (
	"bucket_name" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "public_bucket_routing" ADD CONSTRAINT "public_bucket_routing_customer_id_customer_routing_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customer_routing"("customer_id") ON DELETE no action ON UPDATE no action;