import { CRYPTO_SHRED_STATUSES, MOVE_STEPS, OFFBOARDING_STEPS } from "@s3gw/schema-regional";
import { z } from "zod";
import { customerStatus, int, iso, isoOrNull, jsonDoc, residencyRequirement, strOrNull } from "./response-fields.ts";

/** Responses of the customer routes: profiles, suspension, offboarding, rules, customer storage, bucket policies. */
const customerFields = {
  customer_id: z.string(),
  customer_name: z.string(),
  region: z.string(),
  country: z.string(),
  legal_zone: z.string(),
  data_residency_requirement: residencyRequirement,
  compliance_requirements: z.array(z.string()),
  primary_contact_email: z.string(),
  compliance_officer_email: z.string(),
  legal_basis: strOrNull,
  status: customerStatus,
  created_at: iso,
};
export const customerSchema = z.strictObject(customerFields).meta({ id: "Customer" });

export const registeredSchema = z.strictObject({ status: z.literal("registered"), customer: customerSchema });
export const customerInfoSchema = z.strictObject({
  ...customerFields,
  usage: z.strictObject({ buckets: int, objects: int, bytes: int }),
});
export const customerListItemSchema = z.strictObject({
  customer_id: z.string(),
  customer_name: z.string(),
  country: z.string(),
  legal_zone: z.string(),
  data_residency_requirement: residencyRequirement,
  status: customerStatus,
  created_at: iso,
  bucket_count: int,
});
const suspensionFields = {
  suspended_reason: strOrNull,
  suspended_reads: z.enum(["allowed", "refused"]).nullable(),
  suspended_at: isoOrNull,
};
export const suspensionSchema = z.strictObject({ customer_id: z.string(), status: customerStatus, ...suspensionFields });
export const profilePatchedSchema = z.strictObject({ ...customerFields, ...suspensionFields, changed_fields: z.array(z.string()) });

export const cryptoShredSchema = z
  .strictObject({
    request_id: z.uuid(),
    customer_id: z.string(),
    status: z.enum(CRYPTO_SHRED_STATUSES),
    reason: z.string(),
    requested_by: z.string(),
    requested_at: iso,
    execute_after: iso,
    executed_at: isoOrNull,
    cancelled_by: strOrNull,
    detail: jsonDoc,
  })
  .meta({ id: "CryptoShredRequest" });

const offboardingFields = {
  customer_id: z.string(),
  status: z.enum(["running", "failed", "completed"]),
  step: z.enum(OFFBOARDING_STEPS),
  reason: z.string(),
  export: z.boolean(),
  requested_by: z.string(),
  started_at: iso,
  updated_at: iso,
  completed_at: isoOrNull,
  last_error: strOrNull,
  /** What each finished step reported (erase, shred, export, freeze, unroute, tombstone). */
  result: jsonDoc,
};
export const offboardStartedSchema = z.strictObject({ ...offboardingFields, resumed: z.boolean() });
export const offboardingSchema = z.strictObject({ ...offboardingFields, crypto_shred: cryptoShredSchema.nullable() });

const moveFields = {
  customer_id: z.string(),
  to_region: z.string(),
  status: z.enum(["running", "failed", "completed"]),
  step: z.enum(MOVE_STEPS),
  versions_copied: int,
  bytes_copied: int,
  /** The last object version the target acknowledged (where a resumed copy goes on). */
  cursor: z.strictObject({ bucket: z.string(), key: z.string(), version_id: z.string() }).nullable(),
  requested_by: z.string(),
  started_at: iso,
  updated_at: iso,
  completed_at: isoOrNull,
  last_error: strOrNull,
  /** What each finished step reported (fence, snapshot, objects, markers, verify, switch, activate, erase). */
  result: jsonDoc,
};
export const moveSchema = z.strictObject(moveFields).meta({ id: "CustomerMove" });
export const moveStartedSchema = z.strictObject({ ...moveFields, resumed: z.boolean() });

export const rulesSchema = z.strictObject({
  allowed_content_types: z.array(z.string()).nullable(),
  max_object_size_bytes: int.nullable(),
  reject_duplicate_content: z.boolean(),
  block_cross_border_access: z.boolean(),
  unknown_source_country: z.enum(["deny", "allow"]),
  anomaly_threshold_per_hour: int.nullable(),
  public_read_buckets: z.array(z.string()),
});
export const rulesAnswerSchema = z.strictObject({ customer_id: z.string(), rules: rulesSchema });
export const rulesPutAnswerSchema = rulesAnswerSchema.extend({ changed: z.array(z.string()) });

export const probeSchema = z.strictObject({
  ok: z.boolean(),
  checks: z.array(z.strictObject({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
  /** Why it failed, as a class (unreachable_endpoint, access_denied, ...); only when it did. */
  error_class: z.string().optional(),
});
const storageViewFields = {
  customer_id: z.string(),
  target_id: z.string(),
  enabled: z.boolean(),
  allow_hosted_fallback: z.boolean(),
  status: z.enum(["unvalidated", "healthy", "unhealthy"]),
  last_error_class: strOrNull,
  last_error: strOrNull,
  last_checked_at: isoOrNull,
  last_success_at: isoOrNull,
  activation_override_by: strOrNull,
  credentials_override_by: strOrNull,
  effective_write_target: strOrNull,
  target: z.strictObject({
    target_id: z.string(),
    provider_label: z.string(),
    endpoint: strOrNull,
    region: z.string(),
    country: z.string(),
    country_basis: z.enum(["verified", "declared"]),
    country_declared_by: strOrNull,
    country_declared_at: isoOrNull,
    bucket: z.string(),
    path_prefix: strOrNull,
    bucket_sse: z.enum(["AES256", "aws:kms"]).nullable(),
    gateway_encryption: z.boolean(),
    access_key_id: z.string(),
    /** A keyed fingerprint of the secret, never the secret. */
    secret_fingerprint: z.string(),
    session_token: z.boolean(),
    created_at: iso,
    updated_at: iso,
  }),
  objects_by_target: z.array(z.strictObject({ target_id: z.string(), objects: int, bytes: int })),
  created_at: iso,
  updated_at: iso,
};
export const storageViewSchema = z.strictObject(storageViewFields).meta({ id: "CustomerStorage" });
/** A change that ran the probe answers with its result too. */
export const storageChangedSchema = z.strictObject({ ...storageViewFields, probe: probeSchema.optional() });
/** An IAM policy document as the customer stored it (S3's PutBucketPolicy validated it). */
export const bucketPolicySchema = z.strictObject({
  Version: z.string().optional(),
  Id: z.string().optional(),
  Statement: z.array(z.strictObject({
    Sid: z.string().optional(),
    Effect: z.enum(["Allow", "Deny"]),
    Principal: z.unknown().optional(),
    NotPrincipal: z.unknown().optional(),
    Action: z.union([z.string(), z.array(z.string())]).optional(),
    NotAction: z.union([z.string(), z.array(z.string())]).optional(),
    Resource: z.union([z.string(), z.array(z.string())]).optional(),
    NotResource: z.union([z.string(), z.array(z.string())]).optional(),
    Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })),
});
