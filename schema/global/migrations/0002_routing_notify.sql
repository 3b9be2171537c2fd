-- Every router instance holds the routing maps in memory (customer -> region, access key ->
-- customer, public bucket -> customer). Every change to those tables (from a router, a region
-- move, a CLI tool or direct SQL) notifies channel s3gw_routing in the same transaction, so
-- the notification is delivered when the change commits and never for a change that rolled
-- back. The payload names the entry: t = map (customer, access_key, public_bucket), k = its
-- key; t = '*' drops everything (TRUNCATE).
CREATE OR REPLACE FUNCTION s3gw_routing_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
  map text;
  key_column text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('s3gw_routing', '{"t":"*"}');
    RETURN NULL;
  END IF;
  map := CASE TG_TABLE_NAME WHEN 'customer_routing' THEN 'customer' WHEN 'access_key_routing' THEN 'access_key' ELSE 'public_bucket' END;
  key_column := CASE TG_TABLE_NAME WHEN 'customer_routing' THEN 'customer_id' WHEN 'access_key_routing' THEN 'access_key_id' ELSE 'bucket_name' END;
  -- An update notifies for the old and the new row: a key could in principle change.
  FOREACH changed IN ARRAY CASE TG_OP
    WHEN 'INSERT' THEN ARRAY[to_jsonb(NEW)]
    WHEN 'DELETE' THEN ARRAY[to_jsonb(OLD)]
    ELSE ARRAY[to_jsonb(OLD), to_jsonb(NEW)]
  END LOOP
    PERFORM pg_notify('s3gw_routing', jsonb_build_object('t', map, 'k', changed->>key_column)::text);
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER customer_routing_notify AFTER INSERT OR UPDATE OR DELETE ON customer_routing FOR EACH ROW EXECUTE FUNCTION s3gw_routing_notify();
--> statement-breakpoint
CREATE TRIGGER customer_routing_truncate AFTER TRUNCATE ON customer_routing FOR EACH STATEMENT EXECUTE FUNCTION s3gw_routing_notify();
--> statement-breakpoint
CREATE TRIGGER access_key_routing_notify AFTER INSERT OR UPDATE OR DELETE ON access_key_routing FOR EACH ROW EXECUTE FUNCTION s3gw_routing_notify();
--> statement-breakpoint
CREATE TRIGGER access_key_routing_truncate AFTER TRUNCATE ON access_key_routing FOR EACH STATEMENT EXECUTE FUNCTION s3gw_routing_notify();
--> statement-breakpoint
CREATE TRIGGER public_bucket_routing_notify AFTER INSERT OR UPDATE OR DELETE ON public_bucket_routing FOR EACH ROW EXECUTE FUNCTION s3gw_routing_notify();
--> statement-breakpoint
CREATE TRIGGER public_bucket_routing_truncate AFTER TRUNCATE ON public_bucket_routing FOR EACH STATEMENT EXECUTE FUNCTION s3gw_routing_notify();
