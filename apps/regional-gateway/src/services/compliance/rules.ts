import { complianceRules } from "@s3gw/schema-regional";
import { apiError, bucketNameProblem } from "@s3gw/core";
import { and, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Deps, RegionalDb } from "../../env.ts";

/** A customer's compliance rules; each has a default that applies while no row says otherwise. */
export interface CustomerRules {
  /** `type/subtype` or `type/*`; null allows every type. */
  allowedContentTypes: string[] | null;
  maxObjectSizeBytes: number | null;
  rejectDuplicateContent: boolean;
  blockCrossBorderAccess: boolean;
  /** With the cross-border block on: what a request whose source country no trusted edge reported gets. */
  unknownSourceCountry: "deny" | "allow";
  anomalyThresholdPerHour: number;
  /** Buckets whose objects anyone may read without credentials (GetObject/HeadObject only). */
  publicReadBuckets: string[];
}

export const DEFAULT_RULES: CustomerRules = {
  allowedContentTypes: null,
  maxObjectSizeBytes: null,
  rejectDuplicateContent: false,
  blockCrossBorderAccess: false,
  unknownSourceCountry: "deny",
  // The seed flags more than 100 API calls per hour per tenant.
  anomalyThresholdPerHour: 100,
  publicReadBuckets: [],
};

const TOKEN = "[a-z0-9][a-z0-9!#$&^_.+-]*";
const CONTENT_TYPE_PATTERN = new RegExp(`^${TOKEN}/(${TOKEN}|\\*)$`);

/** PUT body: the complete rule set, every field required, so a partial body cannot silently reset a rule. */
export const rulesBodySchema = z.strictObject({
  allowed_content_types: z
    .array(z.string().trim().toLowerCase().regex(CONTENT_TYPE_PATTERN, "must be type/subtype or type/*"))
    .min(1, "use null to allow every content type")
    .max(100)
    .nullable(),
  max_object_size_bytes: z.number().int().min(1).max(5 * 1024 ** 3).nullable(),
  reject_duplicate_content: z.boolean(),
  block_cross_border_access: z.boolean(),
  // Optional so that existing clients keep working; unknown origins are denied unless allowed here.
  unknown_source_country: z.enum(["deny", "allow"]).default("deny"),
  anomaly_threshold_per_hour: z.number().int().min(1).max(10_000_000),
  // Optional for existing clients; left out means no bucket is public (the safe side).
  public_read_buckets: z
    .array(z.string().superRefine((name, ctx) => {
      const problem = bucketNameProblem(name);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }))
    .max(100)
    .default([]),
});
export type RulesBody = z.infer<typeof rulesBodySchema>;

// One compliance_rules row per rule type; `enabled = false` means the default applies.
const configs = {
  allowed_content_types: z.object({ types: z.array(z.string()).min(1) }),
  max_object_size: z.object({ bytes: z.number().int().min(1) }),
  reject_duplicate_content: z.object({}),
  block_cross_border_access: z.object({ unknown_source_country: z.enum(["deny", "allow"]).default("deny") }),
  anomaly_threshold: z.object({ operations_per_hour: z.number().int().min(1) }),
  public_read_buckets: z.object({ buckets: z.array(z.string()).min(1) }),
};
type RuleType = keyof typeof configs;

function rowsToRules(rows: { ruleType: string; ruleConfig: Record<string, unknown>; enabled: boolean }[]): CustomerRules {
  const rules = { ...DEFAULT_RULES };
  for (const r of rows) {
    if (!r.enabled || !(r.ruleType in configs)) continue;
    const cfg = configs[r.ruleType as RuleType].safeParse(r.ruleConfig);
    if (!cfg.success) continue; // only this service writes rows; a foreign shape falls back to the default
    const v = cfg.data as Record<string, unknown>;
    if (r.ruleType === "allowed_content_types") rules.allowedContentTypes = v.types as string[];
    else if (r.ruleType === "max_object_size") rules.maxObjectSizeBytes = v.bytes as number;
    else if (r.ruleType === "reject_duplicate_content") rules.rejectDuplicateContent = true;
    else if (r.ruleType === "block_cross_border_access") {
      rules.blockCrossBorderAccess = true;
      rules.unknownSourceCountry = v.unknown_source_country as "deny" | "allow";
    }
    else if (r.ruleType === "anomaly_threshold") rules.anomalyThresholdPerHour = v.operations_per_hour as number;
    else if (r.ruleType === "public_read_buckets") rules.publicReadBuckets = v.buckets as string[];
  }
  return rules;
}

function rulesToRows(b: CustomerRules): { ruleType: RuleType; ruleConfig: Record<string, unknown>; enabled: boolean }[] {
  return [
    { ruleType: "allowed_content_types", ruleConfig: b.allowedContentTypes ? { types: b.allowedContentTypes } : {}, enabled: b.allowedContentTypes !== null },
    { ruleType: "max_object_size", ruleConfig: b.maxObjectSizeBytes ? { bytes: b.maxObjectSizeBytes } : {}, enabled: b.maxObjectSizeBytes !== null },
    { ruleType: "reject_duplicate_content", ruleConfig: {}, enabled: b.rejectDuplicateContent },
    { ruleType: "block_cross_border_access", ruleConfig: { unknown_source_country: b.unknownSourceCountry }, enabled: b.blockCrossBorderAccess },
    { ruleType: "anomaly_threshold", ruleConfig: { operations_per_hour: b.anomalyThresholdPerHour }, enabled: true },
    { ruleType: "public_read_buckets", ruleConfig: b.publicReadBuckets.length > 0 ? { buckets: b.publicReadBuckets } : {}, enabled: b.publicReadBuckets.length > 0 },
  ];
}

export function rulesFromBody(b: RulesBody): CustomerRules {
  return {
    allowedContentTypes: b.allowed_content_types ? [...new Set(b.allowed_content_types)] : null,
    maxObjectSizeBytes: b.max_object_size_bytes,
    rejectDuplicateContent: b.reject_duplicate_content,
    blockCrossBorderAccess: b.block_cross_border_access,
    unknownSourceCountry: b.unknown_source_country,
    anomalyThresholdPerHour: b.anomaly_threshold_per_hour,
    publicReadBuckets: [...new Set(b.public_read_buckets)].sort(),
  };
}

export function rulesView(r: CustomerRules) {
  return {
    allowed_content_types: r.allowedContentTypes,
    max_object_size_bytes: r.maxObjectSizeBytes,
    reject_duplicate_content: r.rejectDuplicateContent,
    block_cross_border_access: r.blockCrossBorderAccess,
    unknown_source_country: r.unknownSourceCountry,
    anomaly_threshold_per_hour: r.anomalyThresholdPerHour,
    public_read_buckets: r.publicReadBuckets,
  };
}

export async function loadRules(db: RegionalDb, customerId: string): Promise<CustomerRules> {
  return rowsToRules(await db.select().from(complianceRules).where(eq(complianceRules.customerId, customerId)));
}

/** Replaces a customer's whole rule set; returns the fields that changed, old and new. */
export async function saveRules(deps: Deps, customerId: string, next: CustomerRules): Promise<Record<string, { from: unknown; to: unknown }>> {
  const now = deps.clock.now();
  const before = await deps.db.transaction(async (tx) => {
    // Serialises concurrent PUTs of one customer so each reports what it really changed.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`rules:${customerId}`}, 0))`);
    if (next.publicReadBuckets.length > 0) await assertPublicNamesFree(tx, customerId, next.publicReadBuckets);
    const old = rowsToRules(await tx.select().from(complianceRules).where(eq(complianceRules.customerId, customerId)));
    for (const row of rulesToRows(next)) {
      await tx
        .insert(complianceRules)
        .values({ customerId, ...row, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [complianceRules.customerId, complianceRules.ruleType],
          set: { ruleConfig: row.ruleConfig, enabled: row.enabled, updatedAt: now },
        });
    }
    return old;
  });
  invalidateRules(deps, customerId);
  const was = rulesView(before);
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, v] of Object.entries(rulesView(next))) {
    const old = was[k as keyof typeof was];
    if (JSON.stringify(old) !== JSON.stringify(v)) changed[k] = { from: old, to: v };
  }
  return changed;
}

/**
 * A public bucket name names one customer, so an anonymous read knows whose bucket it is. The
 * global router enforces this across regions; this keeps it within the region (a lone region,
 * or a router that lost the claim), under one lock for every customer's public names.
 */
async function assertPublicNamesFree(tx: Parameters<Parameters<RegionalDb["transaction"]>[0]>[0], customerId: string, names: string[]): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('rules:public_read_buckets', 0))`);
  const taken = await tx
    .select({ config: complianceRules.ruleConfig })
    .from(complianceRules)
    .where(and(eq(complianceRules.ruleType, "public_read_buckets"), eq(complianceRules.enabled, true), ne(complianceRules.customerId, customerId), sql`${complianceRules.ruleConfig}->'buckets' ?| array(select jsonb_array_elements_text(${JSON.stringify(names)}::jsonb))`));
  const held = new Set(taken.flatMap((r) => ((r.config as { buckets?: unknown }).buckets as string[] | undefined) ?? []));
  const clash = names.filter((n) => held.has(n));
  if (clash.length > 0) throw apiError.conflict(`the public bucket name ${clash.join(", ")} is taken by another customer; public bucket names are unique across customers`);
}

/**
 * The rules the S3 hot path enforces (every read and write consults them): from the instance's
 * cache, which forgets a customer's rules when a change to them is notified (CACHE_TTL_MS at most).
 */
export async function rulesFor(deps: Pick<Deps, "db" | "cache">, customerId: string): Promise<CustomerRules> {
  const rules = await deps.cache.rules.get(customerId, async () => Object.freeze(await loadRules(deps.db, customerId)));
  return rules!;
}

export function invalidateRules(deps: Pick<Deps, "cache">, customerId: string): void {
  deps.cache.rules.invalidate(customerId);
}
