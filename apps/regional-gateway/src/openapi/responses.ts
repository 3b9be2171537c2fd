import { z } from "zod";

/**
 * Response bodies of the regional JSON API, written to match the views the services build
 * (customerView, tokenView, accessKeyView, rulesView, dsrView, ...). Objects are loose where a
 * view adds fields by state (a report's optional parts); the fields named are always there.
 */
const iso = z.iso.datetime({ offset: true });
const isoOrNull = iso.nullable();

export const customerSchema = z
  .looseObject({
    customer_id: z.string(),
    customer_name: z.string(),
    region: z.string(),
    country: z.string(),
    legal_zone: z.string().nullable(),
    data_residency_requirement: z.enum(["strict", "jurisdiction", "flexible"]),
    compliance_requirements: z.array(z.string()),
    primary_contact_email: z.string(),
    compliance_officer_email: z.string(),
    legal_basis: z.string().nullable(),
    status: z.string(),
    created_at: iso,
  })
  .meta({ id: "Customer" });

export const registeredSchema = z.strictObject({ status: z.literal("registered"), customer: customerSchema });
export const customerInfoSchema = customerSchema.extend({
  usage: z.strictObject({ buckets: z.number().int(), objects: z.number().int(), bytes: z.number().int() }),
});
export const customerListItemSchema = z.looseObject({
  customer_id: z.string(),
  customer_name: z.string(),
  country: z.string(),
  data_residency_requirement: z.string(),
  status: z.string(),
  created_at: iso,
  bucket_count: z.number().int(),
});
export const suspensionSchema = z.strictObject({
  customer_id: z.string(),
  status: z.string(),
  suspended_reason: z.string().nullable(),
  suspended_reads: z.string().nullable(),
  suspended_at: isoOrNull,
});
export const profilePatchedSchema = customerSchema.extend({ changed_fields: z.array(z.string()) });
export const offboardingSchema = z.looseObject({ status: z.string(), step: z.string().nullable().optional() });

export const tokenSchema = z.strictObject({
  token_id: z.uuid(),
  name: z.string(),
  role: z.string(),
  customer_id: z.string().nullable(),
  created_by: z.string(),
  created_at: iso,
  revoked_at: isoOrNull,
}).meta({ id: "ApiToken" });
export const tokenCreatedSchema = tokenSchema.extend({ token: z.string().startsWith("s3gw_") });
export const tokenListSchema = z.strictObject({ tokens: z.array(tokenSchema) });

export const accessKeySchema = z.strictObject({
  access_key_id: z.string().regex(/^S3GW[A-Z2-7]{16}$/),
  customer_id: z.string(),
  description: z.string().nullable(),
  permission: z.enum(["read-only", "read-write"]),
  allowed_buckets: z.array(z.string()).nullable(),
  bypass_governance: z.boolean(),
  status: z.enum(["active", "disabled"]),
  created_by: z.string(),
  created_at: iso,
  updated_at: iso,
}).meta({ id: "AccessKey" });
export const accessKeyCreatedSchema = accessKeySchema.extend({ secret_access_key: z.string().min(20) });
export const rotateMasterKeySchema = z.looseObject({ active_key_id: z.string(), re_encrypted: z.number().int(), unreadable: z.array(z.unknown()) });
export const presignedSchema = z.looseObject({ url: z.url(), method: z.enum(["GET", "PUT"]), expires_at: iso, access_key_id: z.string() });
export const customerKeySchema = z.looseObject({ key_id: z.uuid(), state: z.string(), current_version: z.number().int() }).meta({ id: "CustomerKey" });
export const cryptoShredSchema = z.looseObject({ request_id: z.uuid(), execute_after: iso });

export const rulesSchema = z.strictObject({
  allowed_content_types: z.array(z.string()).nullable(),
  max_object_size_bytes: z.number().int().nullable(),
  reject_duplicate_content: z.boolean(),
  block_cross_border_access: z.boolean(),
  unknown_source_country: z.string(),
  anomaly_threshold_per_hour: z.number().int().nullable(),
  public_read_buckets: z.array(z.string()),
});
export const rulesAnswerSchema = z.strictObject({ customer_id: z.string(), rules: rulesSchema });
export const rulesPutAnswerSchema = rulesAnswerSchema.extend({ changed: z.array(z.string()) });

export const holdSchema = z.looseObject({ customer_id: z.string(), bucket: z.string(), key: z.string() });
export const complianceSummarySchema = z.looseObject({
  customer_id: z.string(),
  customer_name: z.string(),
  region: z.string(),
  customer_compliance_status: z.string(),
  data_residency_requirement: z.string(),
  compliance_requirements: z.array(z.string()),
  total_objects: z.number().int(),
  total_bytes: z.number(),
  compliant_objects: z.number().int(),
  generated_at: iso,
});
export const complianceEventSchema = z.looseObject({ event_id: z.uuid(), event_type: z.string(), severity: z.string() });
export const residencyReportSchema = z.looseObject({ region: z.string(), customer_id: z.string().nullable(), checked: z.number().int(), checked_at: iso });
export const subscriptionSchema = z.looseObject({ subscription_id: z.uuid(), target_id: z.string() });
export const verifyReportSchema = z.looseObject({ checked: z.number().int(), ok: z.number().int(), mismatched: z.array(z.unknown()), duration_ms: z.number() });

export const dsrSchema = z.strictObject({
  request_id: z.uuid(),
  customer_id: z.string(),
  data_subject_id: z.string(),
  request_type: z.enum(["access", "erasure", "rectification", "portability", "restriction", "objection"]),
  status: z.string(),
  received_at: iso,
  response_deadline: iso,
  deadline_state: z.string(),
  overdue: z.boolean(),
  affected_objects: z.unknown(),
  result: z.unknown(),
  notes: z.string().nullable(),
  requested_by: z.string(),
  updated_at: iso,
  completed_at: isoOrNull,
}).meta({ id: "DataSubjectRequest" });
export const dsrListSchema = z.looseObject({ items: z.array(dsrSchema) });

export const auditVerifySchema = z.looseObject({
  region: z.string(),
  intact: z.boolean(),
  rows: z.number().int(),
  last_id: z.number().int(),
  checkpoints_checked: z.number().int(),
  checkpoint_problems: z.array(z.unknown()),
  checked_at: iso,
});
export const operationSchema = z.looseObject({ id: z.number().int(), operation: z.string(), result: z.string() });
export const checkpointSchema = z.looseObject({ id: z.number().int(), last_id: z.number().int(), row_count: z.number().int() });
export const jurisdictionReportSchema = z.looseObject({
  region: z.string(),
  window: z.strictObject({ from: iso, to: iso }),
  items: z.array(z.unknown()),
  next_cursor: z.string().nullable(),
});

export const healthSchema = z.strictObject({
  status: z.enum(["healthy", "unhealthy"]),
  service: z.literal("regional-gateway"),
  region: z.string(),
  region_name: z.string(),
  jurisdiction: z.string(),
  customer_count: z.number().int().nullable(),
  database: z.enum(["ok", "down"]),
  storage: z.looseObject({ status: z.enum(["ok", "down"]), provider_id: z.string(), type: z.string(), country: z.string() }),
  timestamp: iso,
});
export const dashboardSchema = z.looseObject({});
export const storageViewSchema = z.looseObject({});
export const probeSchema = z.looseObject({ ok: z.boolean() });
export const migrationSchema = z.looseObject({ migration_id: z.uuid(), status: z.string() });
export const targetSchema = z.looseObject({ target_id: z.string(), name: z.string(), kind: z.string() });
export const deliverySchema = z.looseObject({ status: z.string() });
export const bucketPolicySchema = z.looseObject({ Statement: z.array(z.unknown()) });
