-- PUT and HEAD announce lifecycle expiry (x-amz-expiration), so gateways cache each bucket's
-- lifecycle rules. bucket_lifecycle rows name their bucket by id only: the notification now
-- carries i = bucket_id as well (the other fields as in migration 0004).
CREATE OR REPLACE FUNCTION s3gw_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('s3gw_cache', '{"t":"*"}');
    RETURN NULL;
  END IF;
  FOREACH changed IN ARRAY CASE TG_OP
    WHEN 'INSERT' THEN ARRAY[to_jsonb(NEW)]
    WHEN 'DELETE' THEN ARRAY[to_jsonb(OLD)]
    ELSE ARRAY[to_jsonb(OLD), to_jsonb(NEW)]
  END LOOP
    PERFORM pg_notify('s3gw_cache', jsonb_build_object(
      't', TG_TABLE_NAME,
      'c', changed->>'customer_id',
      'k', changed->>'access_key_id',
      'b', changed->>'bucket_name',
      'i', changed->>'bucket_id'
    )::text);
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER bucket_lifecycle_cache_notify AFTER INSERT OR UPDATE OR DELETE ON bucket_lifecycle FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER bucket_lifecycle_cache_truncate AFTER TRUNCATE ON bucket_lifecycle FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
