import { accessKeys, bucketLifecycle, buckets, bucketSettings, complianceRules, customerKeys, customers, dataSubjectRequests, type PriorStanding } from "@s3gw/schema-regional";
import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { SnapshotWire } from "./move-wire.ts";

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Everything of the customer but its objects, as the target needs it: the profile, buckets with
 * every setting document and lifecycle, compliance rules, GDPR requests (the open ones with their
 * deadlines, the closed ones as the record of what was done), access keys with their secrets opened (the target seals them under its own master
 * key; they travel only inside this signed call) and the ids of its encryption keys (the target
 * makes its own key material: every byte is sealed again there under fresh data keys).
 */
export async function buildSnapshot(deps: Pick<Deps, "db" | "config">, customerId: string, prior: PriorStanding): Promise<Omit<SnapshotWire, "from_region" | "to_region" | "nonce">> {
  const { db } = deps;
  const [c] = await db.select().from(customers).where(eq(customers.customerId, customerId)).limit(1);
  if (!c) throw new Error(`customer ${customerId} vanished during its move`);
  const bucketRows = await db.select().from(buckets).where(eq(buckets.customerId, customerId)).orderBy(asc(buckets.bucketName));
  const ids = bucketRows.map((b) => b.bucketId);
  const settings = ids.length ? await db.select().from(bucketSettings).where(inArray(bucketSettings.bucketId, ids)) : [];
  const lifecycles = ids.length ? await db.select().from(bucketLifecycle).where(inArray(bucketLifecycle.bucketId, ids)) : [];
  const rules = await db.select().from(complianceRules).where(eq(complianceRules.customerId, customerId));
  const gdpr = await db.select().from(dataSubjectRequests).where(eq(dataSubjectRequests.customerId, customerId));
  const keys = await db.select().from(accessKeys).where(eq(accessKeys.customerId, customerId));
  const ring = deps.config.masterKeys;
  if (keys.length > 0 && !ring) throw new Error("access keys cannot be opened: no MASTER_KEYS configured");
  const kek = await db.select().from(customerKeys).where(and(eq(customerKeys.customerId, customerId), ne(customerKeys.state, "Destroyed")));
  return {
    profile: {
      customer_name: c.customerName, country: c.country, legal_zone: c.legalZone, data_residency_requirement: c.dataResidencyRequirement,
      compliance_requirements: c.complianceRequirements, primary_contact_email: c.primaryContactEmail, compliance_officer_email: c.complianceOfficerEmail,
      legal_basis: c.legalBasis, created_at: iso(c.createdAt),
    },
    prior,
    buckets: bucketRows.map((b) => ({
      bucket_id: b.bucketId, name: b.bucketName, versioning: b.versioning, object_lock_enabled: b.objectLockEnabled, created_at: iso(b.createdAt),
      settings: settings.filter((s) => s.bucketId === b.bucketId).map((s) => ({ kind: s.kind, document: s.document })),
      lifecycle: (lifecycles.find((l) => l.bucketId === b.bucketId)?.rules as unknown as Record<string, unknown>[] | undefined) ?? null,
    })),
    rules: rules.map((r) => ({ rule_id: r.ruleId, rule_type: r.ruleType, rule_config: r.ruleConfig, enabled: r.enabled, created_at: iso(r.createdAt), updated_at: iso(r.updatedAt) })),
    gdpr_requests: gdpr.map((g) => ({
      request_id: g.requestId, data_subject_id: g.dataSubjectId, request_type: g.requestType, status: g.status,
      received_at: iso(g.receivedAt), response_deadline: iso(g.responseDeadline), affected_objects: g.affectedObjects, result: g.result ?? null,
      notes: g.notes, requested_by: g.requestedBy, updated_at: iso(g.updatedAt),
    })),
    access_keys: keys.map((k) => ({
      access_key_id: k.accessKeyId, secret: ring!.open(k.secretCiphertext, k.accessKeyId), description: k.description, permission: k.permission,
      allowed_buckets: k.allowedBuckets, bypass_governance: k.bypassGovernance, status: k.status, created_by: k.createdBy, created_at: iso(k.createdAt), updated_at: iso(k.updatedAt),
    })),
    customer_keys: kek.map((k) => ({
      key_id: k.keyId, description: k.description, is_default: k.isDefault, state: k.state as "Enabled" | "Disabled" | "PendingDeletion",
      deletion_date: isoOrNull(k.deletionDate), created_by: k.createdBy, created_at: iso(k.createdAt),
    })),
  };
}
