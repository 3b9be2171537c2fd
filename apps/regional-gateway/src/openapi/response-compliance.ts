import { z } from "zod";
import { customerStatus, int, iso, isoOrNull, jsonDoc, residencyRequirement, strOrNull } from "./response-fields.ts";

/** Responses of the compliance API: holds, summary, events, residency, subscriptions, integrity, GDPR requests. */
export const holdSchema = z.strictObject({
  object_id: z.uuid(),
  customer_id: z.string(),
  bucket: z.string(),
  key: z.string(),
  version_id: z.string(),
  size_bytes: int,
  legal_hold: z.boolean(),
  reason: strOrNull,
  set_by: strOrNull,
  set_at: isoOrNull,
  retention_mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).nullable(),
  retention_until: isoOrNull,
}).meta({ id: "ObjectHold" });

/** Where a customer's bytes are, per storage target; `declared` countries are an admin's word, not verified. */
const storageLocationSchema = z.strictObject({
  target_id: z.string(),
  country: z.string(),
  country_basis: z.enum(["region_provider", "verified", "declared"]),
  declared_by: strOrNull,
  declared_at: isoOrNull,
  objects: int,
  bytes: int,
});
export const complianceSummarySchema = z.strictObject({
  customer_id: z.string(),
  customer_name: z.string(),
  region: z.string(),
  customer_compliance_status: customerStatus,
  data_residency_requirement: residencyRequirement,
  compliance_requirements: z.array(z.string()),
  total_objects: int,
  total_bytes: int,
  compliant_objects: int,
  non_compliant_objects: int,
  legal_hold_objects: int,
  open_violations: int,
  pending_data_requests: int,
  compliance_percentage: z.number().min(0).max(100),
  storage_locations: z.array(storageLocationSchema),
  generated_at: iso,
});
export const complianceEventSchema = z.strictObject({
  event_id: z.uuid(),
  customer_id: strOrNull,
  event_type: z.string(),
  severity: z.enum(["low", "medium", "high", "critical"]),
  description: z.string(),
  bucket: strOrNull,
  key: strOrNull,
  details: jsonDoc,
  remediation_deadline: isoOrNull,
  created_at: iso,
  overdue: z.boolean(),
  resolved_at: isoOrNull,
  resolution_note: strOrNull,
  resolved_by: strOrNull,
}).meta({ id: "ComplianceEvent" });
export const residencyReportSchema = z.strictObject({
  region: z.string(),
  customer_id: strOrNull,
  checked: int,
  storage_locations: z.array(storageLocationSchema),
  customers_checked: int,
  violation_count: int,
  violations: z.array(z.strictObject({
    customer_id: z.string(),
    bucket: z.string(),
    key: z.string(),
    requirement: z.string(),
    storage_provider: z.string(),
    storage_country: z.string(),
    storage_region: z.string(),
    reason: z.string(),
  })),
  violations_truncated: z.boolean(),
  events_raised: int,
  checked_at: iso,
});
export const subscriptionSchema = z.strictObject({
  subscription_id: z.uuid(),
  target_id: z.string(),
  target_arn: z.string(),
  target_live: z.boolean(),
  customer_id: strOrNull,
  region_wide: z.boolean(),
  events: z.array(z.string()),
  created_by: z.string(),
  created_at: iso,
}).meta({ id: "ComplianceSubscription" });
export const verifyReportSchema = z.strictObject({
  checked: int,
  ok: int,
  mismatched: z.array(z.strictObject({
    bucket: z.string(),
    key: z.string(),
    expected_sha256: z.string(),
    actual_sha256: strOrNull,
    reason: z.enum(["hash_mismatch", "missing_data", "read_error"]),
  })),
  duration_ms: int,
});

export const dsrSchema = z.strictObject({
  request_id: z.uuid(),
  customer_id: z.string(),
  data_subject_id: z.string(),
  request_type: z.enum(["access", "erasure", "rectification", "portability", "restriction", "objection"]),
  status: z.enum(["pending", "in_progress", "completed", "rejected"]),
  received_at: iso,
  response_deadline: iso,
  /** null once the request is closed (completed or rejected). */
  deadline_state: z.enum(["ok", "near", "overdue"]).nullable(),
  overdue: z.boolean(),
  affected_objects: z.array(z.unknown()),
  /** What executing it did (an export's summary, erased objects, restricted objects, history); null before. */
  result: jsonDoc.nullable(),
  notes: strOrNull,
  requested_by: z.string(),
  updated_at: iso,
  completed_at: isoOrNull,
}).meta({ id: "DataSubjectRequest" });
export const dsrListSchema = z.strictObject({ items: z.array(dsrSchema), next_cursor: strOrNull });

const exportObjectSchema = z.strictObject({
  bucket: z.string(),
  key: z.string(),
  version_id: z.string(),
  is_latest: z.boolean(),
  size: int,
  etag: z.string(),
  sha256: z.string(),
  content_type: z.string(),
  user_metadata: z.record(z.string(), z.string()),
  system_metadata: z.record(z.string(), z.string()),
  created_at: iso,
  last_modified: iso,
  compliance_status: z.string(),
  data_classification: z.string(),
  storage: z.strictObject({ region: z.string(), country: z.string(), provider: z.string() }),
  legal_hold: z.strictObject({ on: z.boolean(), reason: strOrNull, set_by: strOrNull, set_at: isoOrNull }),
  retention: z.strictObject({ mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).nullable(), until: isoOrNull }),
  processing_restricted: z.boolean(),
  /** Portability only: the bytes (base64), or null with a note when they could not be embedded. */
  content_base64: strOrNull.optional(),
  content_note: z.string().optional(),
});
/** The access or portability export document (streamed page by page). */
export const dsrExportSchema = z.strictObject({
  format: z.literal("s3gw-dsr-export/1"),
  request_id: z.uuid(),
  request_type: z.enum(["access", "portability"]),
  data_subject_id: z.string(),
  customer_id: z.string(),
  region: z.string(),
  generated_at: iso,
  subject_link: z.string(),
  content: z.strictObject({ included: z.boolean(), note: z.string().optional(), encoding: z.enum(["base64"]).nullable(), limit_bytes: int }),
  objects: z.array(exportObjectSchema),
  operations_log: z.array(z.strictObject({
    id: int,
    at: iso,
    request_id: z.string(),
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
    principal: strOrNull,
    compliance_info: jsonDoc,
  })),
  totals: z.strictObject({ objects: int, operations_log_entries: int, content_bytes_embedded: int }),
});
