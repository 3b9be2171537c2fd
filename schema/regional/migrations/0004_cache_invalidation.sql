-- Gateways of one region cache access keys, customers, buckets and compliance rules in memory.
-- Every change to those tables (from a gateway, a CLI tool or direct SQL) notifies channel
-- s3gw_cache in the same transaction, so the notification is delivered exactly when the change
-- commits and never for a change that rolled back. The payload names the cached entry:
-- t = table, c = customer_id, k = access_key_id, b = bucket_name; t = '*' drops everything.
CREATE OR REPLACE FUNCTION s3gw_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('s3gw_cache', '{"t":"*"}');
    RETURN NULL;
  END IF;
  -- An update notifies for the old and the new row: a key could in principle move (identical payloads collapse).
  FOREACH changed IN ARRAY CASE TG_OP
    WHEN 'INSERT' THEN ARRAY[to_jsonb(NEW)]
    WHEN 'DELETE' THEN ARRAY[to_jsonb(OLD)]
    ELSE ARRAY[to_jsonb(OLD), to_jsonb(NEW)]
  END LOOP
    PERFORM pg_notify('s3gw_cache', jsonb_build_object(
      't', TG_TABLE_NAME,
      'c', changed->>'customer_id',
      'k', changed->>'access_key_id',
      'b', changed->>'bucket_name'
    )::text);
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER access_keys_cache_notify AFTER INSERT OR UPDATE OR DELETE ON access_keys FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER access_keys_cache_truncate AFTER TRUNCATE ON access_keys FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER customers_cache_notify AFTER INSERT OR UPDATE OR DELETE ON customers FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER customers_cache_truncate AFTER TRUNCATE ON customers FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER buckets_cache_notify AFTER INSERT OR UPDATE OR DELETE ON buckets FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER buckets_cache_truncate AFTER TRUNCATE ON buckets FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER compliance_rules_cache_notify AFTER INSERT OR UPDATE OR DELETE ON compliance_rules FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER compliance_rules_cache_truncate AFTER TRUNCATE ON compliance_rules FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
