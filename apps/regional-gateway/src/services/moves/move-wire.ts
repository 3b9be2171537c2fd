import { REGION_ID_RE, RESIDENCY_REQUIREMENTS } from "@s3gw/core";
import { z } from "zod";
import { ACCESS_KEY_ID_RE } from "../access/access-keys.ts";

/**
 * What the source region sends the target over the signed region-to-region channel, validated
 * on arrival like any input (the signature says who sent it, not that it is well formed).
 * Dates travel as ISO 8601; jsonb documents (bucket settings, lifecycle rules, rule configs)
 * in the shape the source's own services validated and stored, bounded in size by the body limit.
 */
const ts = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().max(max);
const region = z.string().regex(REGION_ID_RE);
const stringMap = z.record(z.string().max(1024), z.string().max(8192));

/**
 * Every call names its source and target region (the target checks both against its records)
 * and carries a fresh nonce, so two calls alike in the same second are still two signatures.
 */
export const routeWire = { from_region: region, to_region: region, nonce: z.uuid() };

export const priorWire = z.strictObject({
  status: z.enum(["active", "suspended"]),
  suspendedReason: text(1000).nullable(),
  suspendedReads: z.enum(["allowed", "refused"]).nullable(),
});

const profileWire = z.strictObject({
  customer_name: text(200),
  country: text(2),
  legal_zone: text(16),
  data_residency_requirement: z.enum(RESIDENCY_REQUIREMENTS),
  compliance_requirements: z.array(text(100)).max(50),
  primary_contact_email: text(254),
  compliance_officer_email: text(254),
  legal_basis: text(500).nullable(),
  created_at: ts,
});

const bucketWire = z.strictObject({
  bucket_id: z.uuid(),
  name: z.string().min(3).max(63),
  versioning: z.enum(["Enabled", "Suspended"]).nullable(),
  object_lock_enabled: z.boolean(),
  created_at: ts,
  settings: z.array(z.strictObject({ kind: text(64), document: z.unknown() })).max(64),
  lifecycle: z.array(z.record(z.string(), z.unknown())).max(1000).nullable(),
});

const ruleWire = z.strictObject({
  rule_id: z.uuid(),
  rule_type: text(64),
  rule_config: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  created_at: ts,
  updated_at: ts,
});

const gdprWire = z.strictObject({
  request_id: z.uuid(),
  data_subject_id: text(256),
  request_type: z.enum(["access", "erasure", "rectification", "restriction", "portability", "objection"]),
  status: z.enum(["pending", "in_progress", "completed", "rejected"]),
  received_at: ts,
  response_deadline: ts,
  affected_objects: z.array(z.unknown()).max(10_000),
  result: z.record(z.string(), z.unknown()).nullable(),
  notes: text(10_000).nullable(),
  requested_by: text(256).nullable(),
  updated_at: ts,
});

const accessKeyWire = z.strictObject({
  access_key_id: z.string().regex(ACCESS_KEY_ID_RE),
  /** The secret in the clear, only inside this signed call; the target seals it under its own master key. */
  secret: z.string().min(16).max(128),
  description: text(256).nullable(),
  permission: z.enum(["read-only", "read-write"]),
  allowed_buckets: z.array(text(63)).max(1000).nullable(),
  bypass_governance: z.boolean(),
  status: z.enum(["active", "disabled"]),
  created_by: text(256),
  created_at: ts,
  updated_at: ts,
});

const customerKeyWire = z.strictObject({
  key_id: z.uuid(),
  description: text(256).nullable(),
  is_default: z.boolean(),
  state: z.enum(["Enabled", "Disabled", "PendingDeletion"]),
  deletion_date: ts.nullable(),
  created_by: text(256),
  created_at: ts,
});

/** The customer without its objects: profile, buckets with their settings, rules, open GDPR requests, access keys, key ids. */
export const snapshotWire = z.strictObject({
  ...routeWire,
  profile: profileWire,
  prior: priorWire,
  buckets: z.array(bucketWire).max(1000),
  rules: z.array(ruleWire).max(200),
  gdpr_requests: z.array(gdprWire).max(10_000),
  access_keys: z.array(accessKeyWire).max(1000),
  customer_keys: z.array(customerKeyWire).max(1000),
});
export type SnapshotWire = z.infer<typeof snapshotWire>;

const versionRef = { bucket: z.string().min(3).max(63), key: z.string().min(1).max(1024), version_id: text(64) };

/** One object version's metadata, sent in a header with its plaintext as the body. */
export const objectWire = z.strictObject({
  ...routeWire,
  ...versionRef,
  version_stamp: z.number().int().min(0),
  is_latest: z.boolean(),
  size: z.number().int().min(0),
  etag: text(80),
  /** Hex SHA-256 of the bytes, or the composite `<hex>-<N>` of a multipart object (see object-parts.ts). */
  sha256: z.string().regex(/^[0-9a-f]{64}(-\d{1,5})?$/),
  content_type: text(256),
  user_metadata: stringMap,
  system_metadata: stringMap,
  tags: stringMap,
  parts_count: z.number().int().min(1).max(10_000).nullable(),
  compliance_status: text(64),
  legal_hold: z.boolean(),
  legal_hold_reason: text(500).nullable(),
  legal_hold_set_by: text(256).nullable(),
  legal_hold_set_at: ts.nullable(),
  retention_mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).nullable(),
  retention_until: ts.nullable(),
  processing_restricted: z.boolean(),
  data_subject_id: text(256).nullable(),
  data_classification: text(64),
  last_verified_at: ts.nullable(),
  /** How the source encrypted it; the target seals it under its own keys in the same mode (null: plaintext at the source). */
  encryption: z.strictObject({ mode: z.enum(["AES256", "aws:kms"]), key_id: z.uuid(), kms_context: text(4096).optional(), bucket_key_enabled: z.boolean().optional() }).nullable(),
  /** A multipart object's parts, in order: the body is their bytes one after another. */
  parts: z.array(z.strictObject({ part_number: z.number().int().min(1).max(10_000), size: z.number().int().min(0), md5: z.string().regex(/^[0-9a-f]{32}$/), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).min(1).max(10_000).nullable(),
  created_at: ts,
  last_modified: ts,
});
export type ObjectWire = z.infer<typeof objectWire>;

export const MISSING_BATCH = 200;
/** Which of these versions the target does not hold yet (a resumed copy sends only those). */
export const missingWire = z.strictObject({
  ...routeWire,
  versions: z.array(z.strictObject({ ...versionRef, sha256: text(80) })).max(MISSING_BATCH),
});

export const MARKER_BATCH = 500;
export const markersWire = z.strictObject({
  ...routeWire,
  markers: z.array(z.strictObject({ ...versionRef, version_stamp: z.number().int().min(0), is_latest: z.boolean(), last_modified: ts })).max(MARKER_BATCH),
});

/** The source's manifest digest (manifest.ts): the target computes its own and says whether they match. */
export const verifyWire = z.strictObject({
  ...routeWire,
  versions: z.number().int().min(0),
  markers: z.number().int().min(0),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
});

export const activateWire = z.strictObject(routeWire);
export const resetWire = z.strictObject(routeWire);
