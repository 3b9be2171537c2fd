-- New writes consult the customer-storage configuration (where they go, or whether they are
-- refused); gateways cache it per customer, so a change (a PUT of the configuration, the health
-- monitor marking the bucket unhealthy) notifies channel s3gw_cache like migration 0004 does
-- (payload t = customer_storage, c = customer_id).
CREATE TRIGGER customer_storage_cache_notify AFTER INSERT OR UPDATE OR DELETE ON customer_storage FOR EACH ROW EXECUTE FUNCTION s3gw_cache_notify();
--> statement-breakpoint
CREATE TRIGGER customer_storage_cache_truncate AFTER TRUNCATE ON customer_storage FOR EACH STATEMENT EXECUTE FUNCTION s3gw_cache_notify();
