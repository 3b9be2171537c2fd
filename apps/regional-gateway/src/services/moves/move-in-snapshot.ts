import { AppError, apiError, checkResidency } from "@s3gw/core";
import { accessKeys, bucketLifecycle, buckets, bucketSettings, complianceRules, customerKeys, customerKeyVersions, customerMoveIns, customerMoves, customers, dataSubjectRequests, type LifecycleRule } from "@s3gw/schema-regional";
import { eq, inArray } from "drizzle-orm";
import type { Deps, RegionalTx } from "../../env.ts";
import { insertVersion, masterRing } from "../keys/key-store.ts";
import type { SnapshotWire } from "./move-wire.ts";

const date = (s: string) => new Date(s);
const dateOrNull = (s: string | null) => (s === null ? null : new Date(s));

/**
 * The target's side of the snapshot: the customer is created here as moving_in (served by
 * nothing until the switch), or refreshed if an earlier attempt of the same move left it so;
 * its buckets, settings, rules, open GDPR requests, access keys (sealed under this region's
 * master key) and encryption key ids (fresh material) replace whatever that attempt stored.
 * One transaction: the target holds all of it or none. Refused for a customer this region serves.
 */
export async function receiveSnapshot(deps: Pick<Deps, "db" | "config" | "clock">, customerId: string, s: SnapshotWire) {
  const here = deps.config.region;
  const decision = checkResidency(
    { customerId, homeRegionId: here.region_id, country: s.profile.country, requirement: s.profile.data_residency_requirement },
    { providerId: here.provider.provider_id, regionId: here.region_id, country: here.provider.country },
  );
  // Checked again here, where the bytes will live: a source that got it wrong cannot put them here.
  if (!decision.allowed) throw new AppError("DataResidencyViolation", 403, `region ${here.region_id} does not satisfy the customer's residency requirement: ${decision.reason}`);
  const ring = masterRing(deps.config);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    await claimCustomer(tx, customerId, s, here.region_id, now);
    await tx
      .insert(customerMoveIns)
      .values({ customerId, fromRegion: s.from_region, prior: s.prior, status: "receiving", startedAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: customerMoveIns.customerId, set: { fromRegion: s.from_region, prior: s.prior, status: "receiving", updatedAt: now, activatedAt: null } });
    for (const b of s.buckets) {
      const values = { bucketId: b.bucket_id, customerId, bucketName: b.name, regionId: here.region_id, versioning: b.versioning, objectLockEnabled: b.object_lock_enabled, createdAt: date(b.created_at) };
      const [row] = await tx.insert(buckets).values(values).onConflictDoUpdate({ target: buckets.bucketId, set: { versioning: b.versioning, objectLockEnabled: b.object_lock_enabled } }).returning({ customerId: buckets.customerId });
      if (row?.customerId !== customerId) throw apiError.conflict(`bucket id ${b.bucket_id} belongs to another customer here`);
    }
    const ids = s.buckets.map((b) => b.bucket_id);
    if (ids.length) {
      await tx.delete(bucketSettings).where(inArray(bucketSettings.bucketId, ids));
      await tx.delete(bucketLifecycle).where(inArray(bucketLifecycle.bucketId, ids));
    }
    const settings = s.buckets.flatMap((b) => b.settings.map((x) => ({ bucketId: b.bucket_id, customerId, kind: x.kind, document: x.document, updatedAt: now })));
    if (settings.length) await tx.insert(bucketSettings).values(settings);
    const lifecycles = s.buckets.filter((b) => b.lifecycle !== null).map((b) => ({ bucketId: b.bucket_id, rules: b.lifecycle as unknown as LifecycleRule[], updatedAt: now }));
    if (lifecycles.length) await tx.insert(bucketLifecycle).values(lifecycles);
    await tx.delete(complianceRules).where(eq(complianceRules.customerId, customerId));
    if (s.rules.length) {
      await tx.insert(complianceRules).values(s.rules.map((r) => ({ ruleId: r.rule_id, customerId, ruleType: r.rule_type, ruleConfig: r.rule_config, enabled: r.enabled, createdAt: date(r.created_at), updatedAt: date(r.updated_at) })));
    }
    for (const g of s.gdpr_requests) {
      const values = {
        requestId: g.request_id, customerId, dataSubjectId: g.data_subject_id, requestType: g.request_type, status: g.status, receivedAt: date(g.received_at),
        responseDeadline: date(g.response_deadline), affectedObjects: g.affected_objects, result: g.result, notes: g.notes, requestedBy: g.requested_by, updatedAt: date(g.updated_at),
      };
      const [row] = await tx.insert(dataSubjectRequests).values(values).onConflictDoUpdate({ target: dataSubjectRequests.requestId, set: values }).returning({ customerId: dataSubjectRequests.customerId });
      if (row?.customerId !== customerId) throw apiError.conflict(`GDPR request ${g.request_id} belongs to another customer here`);
    }
    for (const k of s.access_keys) {
      const values = {
        accessKeyId: k.access_key_id, customerId, description: k.description, secretCiphertext: ring.seal(k.secret, k.access_key_id), secretKeyId: ring.activeKeyId,
        permission: k.permission, allowedBuckets: k.allowed_buckets, bypassGovernance: k.bypass_governance, status: k.status, createdBy: k.created_by,
        createdAt: date(k.created_at), updatedAt: date(k.updated_at),
      };
      const [row] = await tx.insert(accessKeys).values(values).onConflictDoUpdate({ target: accessKeys.accessKeyId, set: values }).returning({ customerId: accessKeys.customerId });
      if (row?.customerId !== customerId) throw apiError.conflict(`access key ${k.access_key_id} belongs to another customer here`);
    }
    let keysCreated = 0;
    for (const k of s.customer_keys) {
      const [row] = await tx
        .insert(customerKeys)
        .values({ keyId: k.key_id, customerId, description: k.description, isDefault: k.is_default, state: k.state, deletionDate: dateOrNull(k.deletion_date), createdBy: k.created_by, createdAt: date(k.created_at), updatedAt: now })
        .onConflictDoNothing()
        .returning({ keyId: customerKeys.keyId });
      if (!row) continue;
      await insertVersion(tx, ring, { customerId, keyId: k.key_id, version: 1 }, now);
      keysCreated++;
    }
    return { buckets: s.buckets.length, bucket_settings: settings.length, rules: s.rules.length, gdpr_requests: s.gdpr_requests.length, access_keys: s.access_keys.length, customer_keys_created: keysCreated };
  });
}

/** The customer row as moving_in: new, the same move's earlier attempt, or a customer that once moved away from here and comes back. */
async function claimCustomer(tx: RegionalTx, customerId: string, s: SnapshotWire, regionId: string, now: Date): Promise<void> {
  const p = s.profile;
  const profile = {
    customerName: p.customer_name, regionId, country: p.country, legalZone: p.legal_zone, dataResidencyRequirement: p.data_residency_requirement,
    complianceRequirements: p.compliance_requirements, primaryContactEmail: p.primary_contact_email, complianceOfficerEmail: p.compliance_officer_email,
    legalBasis: p.legal_basis, status: "moving_in" as const, suspendedReason: null, suspendedReads: null, suspendedAt: null, movedToRegion: null, updatedAt: now,
  };
  const [existing] = await tx.select({ status: customers.status }).from(customers).where(eq(customers.customerId, customerId)).for("update");
  if (!existing) {
    await tx.insert(customers).values({ customerId, ...profile, createdAt: date(p.created_at) });
    return;
  }
  if (existing.status === "moving_in") {
    const [mine] = await tx.select({ from: customerMoveIns.fromRegion }).from(customerMoveIns).where(eq(customerMoveIns.customerId, customerId));
    if (mine?.from !== s.from_region) throw apiError.conflict(`customer ${customerId} is being moved here from ${mine?.from ?? "another region"}, not from ${s.from_region}`);
  } else if (existing.status === "moved") {
    // It left this region once (its data erased, its keys destroyed, the tombstone kept): its old
    // move job and destroyed keys give way to this move's (the same key ids come back with new material).
    await tx.delete(customerMoves).where(eq(customerMoves.customerId, customerId));
    await tx.delete(customerKeyVersions).where(eq(customerKeyVersions.customerId, customerId));
    await tx.delete(customerKeys).where(eq(customerKeys.customerId, customerId));
  } else {
    throw apiError.conflict(`customer ${customerId} is already ${existing.status} in region ${regionId}`);
  }
  await tx.update(customers).set(profile).where(eq(customers.customerId, customerId));
}
