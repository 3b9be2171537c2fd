import { windowSummarySchema } from "@s3gw/openapi";
import { DELIVERY_STATUSES } from "@s3gw/schema-regional";
import { z } from "zod";
import { int, iso, isoOrNull, jsonDoc, residencyRequirement, strOrNull } from "./response-fields.ts";

/** Responses of health, the dashboard, the audit log, storage migrations, notification targets and deliveries. */
const checkedCheckpointSchema = z.strictObject({
  id: int.nullable(),
  source: z.enum(["database", "worm", "database+worm"]),
  last_id: int,
  last_hash: z.string(),
  row_count: int,
  created_at: z.string(),
  signature_valid: z.boolean(),
  problem: z.enum(["truncated", "hash_mismatch", "rows_added_below_checkpoint", "bad_signature"]).optional(),
  detail: z.string().optional(),
});
export const auditVerifySchema = z.strictObject({
  region: z.string(),
  intact: z.boolean(),
  rows: int,
  last_id: int,
  last_hash: z.string(),
  /** Present only when the chain is broken: the first row whose link or content does not hold. */
  first_broken: z.strictObject({ id: int, reason: z.string() }).optional(),
  truncated: z.boolean(),
  checkpoint: checkedCheckpointSchema.nullable(),
  checkpoints_checked: int,
  checkpoint_problems: z.array(checkedCheckpointSchema),
  worm_copies: int,
  rows_after_checkpoint: int,
  signing_key: z.strictObject({ fingerprint: z.string() }).nullable(),
  checked_at: iso,
});
export const operationSchema = z.strictObject({
  id: int,
  request_id: z.string(),
  created_at: iso,
  customer_id: strOrNull,
  operation: z.string(),
  bucket: strOrNull,
  key: strOrNull,
  result: z.enum(["success", "denied", "error"]),
  status_code: int,
  error_code: strOrNull,
  bytes: int,
  source_ip: strOrNull,
  source_country: strOrNull,
  cross_border: z.boolean(),
  compliance_info: jsonDoc,
  duration_ms: int.nullable(),
  principal: strOrNull,
  row_hash: z.string(),
}).meta({ id: "Operation" });
export const checkpointSchema = z.strictObject({
  id: int,
  region: z.string(),
  last_id: int,
  last_hash: z.string(),
  row_count: int,
  created_at: iso,
  /** The signed JSON text, byte for byte. */
  payload: z.string(),
  signature: z.string(),
  key_fingerprint: z.string(),
  worm: z.strictObject({ storage_key: z.string(), retention_mode: z.literal("COMPLIANCE"), retain_until: iso, provider_locked: z.boolean() }),
  trigger: z.enum(["periodic", "on_demand"]),
  principal: strOrNull,
}).meta({ id: "AuditCheckpoint" });
export const jurisdictionReportSchema = z.strictObject({
  region: z.string(),
  window: z.strictObject({ from: iso, to: iso }),
  items: z.array(z.strictObject({
    customer_id: z.string(),
    requirement: residencyRequirement,
    home_region: z.string(),
    country: z.string(),
    legal_zone: z.string(),
    jurisdictions: z.array(z.string()),
    data_locations: z.array(z.strictObject({
      storage_provider: z.string(),
      storage_region: z.string(),
      storage_country: z.string(),
      legal_zone: z.string(),
      objects: int,
      bytes: int,
      permitted: z.boolean(),
    })),
    operations: int,
    cross_border_operations: int,
    denied_operations: int,
    open_violations: int,
    compliant: z.boolean(),
  })),
  next_cursor: strOrNull,
});

const storageStatus = z.strictObject({ status: z.enum(["ok", "down"]), provider_id: z.string(), type: z.string(), country: z.string() });
export const healthSchema = z.strictObject({
  status: z.enum(["healthy", "unhealthy"]),
  service: z.literal("regional-gateway"),
  region: z.string(),
  region_name: z.string(),
  jurisdiction: z.string(),
  customer_count: int.nullable(),
  database: z.enum(["ok", "down"]),
  storage: storageStatus.extend({
    /** When the provider can tell (a filesystem). */
    free_bytes: int.optional(),
    /** Why the storage probe failed; only when it did. */
    detail: z.string().optional(),
  }),
  timestamp: iso,
});
const windowSchema = windowSummarySchema.extend({
  operations: z.array(z.strictObject({ operation: z.string(), requests: int, server_errors: int, client_errors: int })),
});
export const dashboardSchema = z.strictObject({
  service: z.literal("regional-gateway"),
  region: z.strictObject({ region_id: z.string(), name: z.string(), jurisdiction: z.string() }),
  generated_at: iso,
  health: z.strictObject({ status: z.enum(["healthy", "unhealthy"]), database: z.enum(["ok", "down"]), storage: storageStatus, audit_queue_depth: int }),
  requests: z.strictObject({ last_5m: windowSchema, last_60m: windowSchema }),
  /** null while the database is down. */
  storage: z.strictObject({
    customers: z.array(z.strictObject({ customer_id: z.string(), objects: int, bytes: int })),
    customers_shown: int,
    total_customers: int,
    total_objects: int,
    total_bytes: int,
  }).nullable(),
  /** null while the database is down. */
  compliance: z.strictObject({
    open_violations: z.strictObject({ total: int, critical: int, high: int, medium: int }),
    gdpr_requests: z.strictObject({ pending: int, overdue: int, due_soon: int, due_soon_days: int }),
    legal_holds: int,
    retained_objects: int,
    keys: z.strictObject({ enabled: int, disabled: int, pending_deletion: int, destroyed: int, shreds_pending: int }),
  }).nullable(),
});

export const migrationSchema = z.strictObject({
  migration_id: z.uuid(),
  customer_id: strOrNull,
  from_target: strOrNull,
  to_target: z.string(),
  dry_run: z.boolean(),
  status: z.enum(["running", "cancelling", "cancelled", "completed", "failed", "interrupted"]),
  total: int,
  processed: int,
  migrated: int,
  skipped: int,
  failed: int,
  bytes: int,
  issues: z.array(z.strictObject({ bucket: z.string(), key: z.string(), outcome: z.enum(["skipped", "failed"]), reason: z.string() })),
  error: strOrNull,
  requested_by: z.string(),
  protection_override: z.strictObject({ by: z.string(), reason: strOrNull }).nullable(),
  cancel_requested_at: isoOrNull,
  cancel_requested_by: strOrNull,
  created_at: iso,
  heartbeat_at: isoOrNull,
  finished_at: isoOrNull,
}).meta({ id: "StorageMigration" });
export const targetSchema = z.strictObject({
  target_id: z.string(),
  arn: z.string(),
  name: z.string(),
  kind: z.enum(["webhook", "nats"]),
  country: z.string(),
  compliance_events: z.array(z.string()),
  /** Exactly one of webhook and nats, by kind. */
  webhook: z.strictObject({ url: z.string(), timeout_ms: int }).optional(),
  nats: z.strictObject({ servers: z.array(z.string()), stream: z.string(), subject: z.string(), timeout_ms: int, has_credentials: z.boolean() }).optional(),
  created_by: z.string(),
  created_at: iso,
  deleted_at: isoOrNull,
}).meta({ id: "NotificationTarget" });
/** The signing secret of a webhook target is shown once, at creation. */
export const targetCreatedSchema = targetSchema.extend({ secret: z.string().optional() });
export const targetDeletedSchema = z.strictObject({ target: targetSchema, still_named_by: z.array(z.strictObject({ customer_id: z.string(), bucket: z.string() })) });
export const deliverySchema = z.strictObject({
  delivery_id: z.uuid(),
  event_id: z.string(),
  event_name: z.string(),
  target_id: z.string(),
  customer_id: strOrNull,
  status: z.enum(DELIVERY_STATUSES),
  attempts: int,
  last_error: strOrNull,
  next_attempt_at: iso,
  last_attempt_at: isoOrNull,
  delivered_at: isoOrNull,
  created_at: iso,
}).meta({ id: "NotificationDelivery" });
export const replayedSchema = z.strictObject({ replayed: int });
