import { randomUUID } from "node:crypto";
import { apiError, awsRegionCountry, checkResidency, describePrincipal, resolveCountry, type Principal } from "@s3gw/core";
import { customerStorage, storageTargets } from "@s3gw/schema-regional";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { ProbeResult } from "./customer-storage-probe.ts";
import { currentStorage, forgetStorageConfig, masterKeys, recordProbe, runProbe, secretFingerprint, sessionTokenContext, type CurrentStorage } from "./customer-storage.ts";
import type { Customer } from "../access/customers.ts";
import type { TargetRow } from "./storage-targets.ts";

const PATH_PREFIX_RE = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

const credentials = {
  access_key_id: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces"),
  secret_access_key: z.string().min(1).max(1024),
  session_token: z.string().min(1).max(8192).optional(),
};

export const putStorageSchema = z.strictObject({
  provider_label: z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9 ._-]+$/),
  bucket: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/, "3-255 characters of letters, digits, '.', '_' and '-'"),
  region: z.string().trim().min(1).max(64).regex(/^[a-z0-9-]+$/, "lowercase letters, digits and '-'"),
  country: z.string().trim().min(2).max(60).optional(),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .refine((u) => { const p = new URL(u); return !p.username && !p.password && !p.search && !p.hash; }, "an endpoint URL carries no credentials, query or fragment")
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  ...credentials,
  path_prefix: z
    .string()
    .max(512)
    .transform((p) => p.replace(/\/+$/, ""))
    .refine((p) => p === "" || (PATH_PREFIX_RE.test(p) && !p.split("/").some((s) => s === "." || s === "..")), "segments of letters, digits and !_.*'()- separated by single slashes, no leading slash")
    .optional(),
  allow_hosted_fallback: z.boolean().optional(),
  /** SSE the gateway asks the bucket for on every write; `aws:kms` uses the bucket's default KMS key. */
  bucket_sse: z.enum(["AES256", "aws:kms"]).nullish(),
  /** false: the gateway does not seal objects it stores here (needs bucket_sse: the bucket encrypts them). */
  gateway_encryption: z.boolean().optional(),
  activate: z.boolean().optional(),
  override_validation: z.boolean().optional(),
  /** Why an admin overrides the probe (the console asks for it); recorded in the audit row, never elsewhere. */
  override_reason: z.string().trim().min(1).max(500).optional(),
}).refine((b) => b.gateway_encryption !== false || (b.bucket_sse ?? null) !== null, {
  message: "gateway_encryption may be false only when bucket_sse is set (the bucket then encrypts what it stores)",
  path: ["gateway_encryption"],
});
export const rotateStorageSchema = z.strictObject({
  ...credentials,
  /** Admin only: keep the new credentials although their probe fails (recorded as credentials_override_by). */
  override_validation: z.boolean().optional(),
  override_reason: z.string().trim().min(1).max(500).optional(),
});

type PutInput = z.infer<typeof putStorageSchema>;
const ENCRYPTION_DEFAULTS = { bucketSse: null, gatewayEncryption: true };
/** The audit row names changed fields as the API does. */
const SNAKE_FIELDS: Partial<Record<string, string>> = { pathPrefix: "path_prefix", bucketSse: "bucket_sse", gatewayEncryption: "gateway_encryption" };
const credentialsSchema = z.strictObject(credentials);
export interface ChangeResult { targetId: string; fieldsChanged: string[]; activationOverride: boolean; probe?: ProbeResult }

/**
 * Where the bucket is. AWS region names are facts about places; anyone else's are labels, so
 * outside AWS the country must be given rather than guessed.
 */
function bucketCountry(input: PutInput): { country: string; source: "aws_region" | "declared" } {
  const aws = input.provider_label.toLowerCase() === "aws";
  if (!aws && !input.endpoint) throw apiError.badRequest("endpoint is required unless provider_label is aws");
  const given = input.country === undefined ? undefined : resolveCountry(input.country)?.code;
  if (input.country !== undefined && !given) throw apiError.badRequest(`unknown country: ${input.country}`);
  const known = aws ? awsRegionCountry(input.region) : undefined;
  if (known && given && known !== given) throw apiError.badRequest(`AWS region ${input.region} is in ${known}, not ${given}`);
  const country = given ?? known;
  if (!country) throw apiError.badRequest(aws ? `unknown AWS region ${input.region}: give the bucket's country` : "country is required for a non-AWS endpoint: its region name says nothing about where the bucket is");
  return { country, source: known ? "aws_region" : "declared" };
}

function openSecrets(deps: Pick<Deps, "config">, t: TargetRow): { secret: string; token: string | undefined } {
  const ring = masterKeys(deps.config);
  return { secret: ring.open(t.secretCiphertext, t.targetId), token: t.sessionTokenCiphertext ? ring.open(t.sessionTokenCiphertext, sessionTokenContext(t.targetId)) : undefined };
}

/** Names of the credential fields that differ from the stored ones (never their values). */
function credentialChanges(deps: Pick<Deps, "config">, t: TargetRow | undefined, input: z.infer<typeof credentialsSchema>): string[] {
  if (!t) return ["access_key_id", "secret_access_key", ...(input.session_token ? ["session_token"] : [])];
  let old: { secret: string | undefined; token: string | undefined };
  try {
    old = openSecrets(deps, t);
  } catch {
    // Sealed under a master key no longer configured: whatever arrives now replaces it.
    old = { secret: undefined, token: undefined };
  }
  return [
    ...(t.accessKeyId !== input.access_key_id ? ["access_key_id"] : []),
    ...(old.secret !== input.secret_access_key ? ["secret_access_key"] : []),
    ...(old.token !== input.session_token ? ["session_token"] : []),
  ];
}

function sealedCredentials(deps: Pick<Deps, "config">, targetId: string, input: z.infer<typeof credentialsSchema>) {
  const ring = masterKeys(deps.config);
  return {
    accessKeyId: input.access_key_id,
    secretCiphertext: ring.seal(input.secret_access_key, targetId),
    sessionTokenCiphertext: input.session_token ? ring.seal(input.session_token, sessionTokenContext(targetId)) : null,
    secretFingerprint: secretFingerprint(deps.config, input.secret_access_key),
  };
}

/**
 * Saves a customer's bucket. A different place (bucket, endpoint, region, country, prefix) is a
 * new target, so objects already written stay on the one they were recorded on; new
 * credentials for the same place update it. Turning the bucket on, or changing what is on,
 * needs a passing probe first, unless an admin overrides it.
 */
export async function putCustomerStorage(deps: Deps, customer: Customer, input: PutInput, principal: Principal): Promise<ChangeResult> {
  const { country, source: countrySource } = bucketCountry(input);
  const decision = checkResidency(
    { customerId: customer.customerId, homeRegionId: customer.regionId, country: customer.country, requirement: customer.dataResidencyRequirement },
    { providerId: `customer bucket ${input.bucket}`, regionId: deps.config.region.region_id, country },
  );
  if (!decision.allowed) throw apiError.badRequest(`the bucket's location does not satisfy the customer's residency requirement: ${decision.reason}`);

  const current: CurrentStorage | undefined = await currentStorage(deps.db, customer.customerId);
  const t = current?.target;
  // Where the bytes go, and how they are kept there: a change to any of it is a new target.
  const place = {
    endpoint: input.endpoint ?? null, region: input.region, country, bucket: input.bucket, pathPrefix: input.path_prefix || null,
    bucketSse: input.bucket_sse ?? null, gatewayEncryption: input.gateway_encryption ?? true,
  };
  // A first configuration names every field of the place, but the encryption ones only when not at their defaults.
  const before = t ?? { ...ENCRYPTION_DEFAULTS, endpoint: undefined, region: undefined, country: undefined, bucket: undefined, pathPrefix: undefined };
  const moved = (Object.keys(place) as (keyof typeof place)[]).filter((k) => before[k] !== place[k]);
  const sameTarget = t !== undefined && moved.length === 0;
  // A declared country is a claim about where the bytes will be that nobody here can check: only an admin makes it.
  const declares = countrySource === "declared" && !(sameTarget && t.countrySource === "declared");
  if (declares && principal.role !== "admin") {
    throw apiError.forbidden("only an admin may declare the country of a non-AWS bucket (its region name says nothing about where it is); ask an admin to save this configuration");
  }
  const creds = credentialChanges(deps, sameTarget ? t : undefined, input);
  const enable = input.activate ?? current?.config.enabled ?? false;
  const fallback = input.allow_hosted_fallback ?? current?.config.allowHostedFallback ?? false;
  const fieldsChanged = [
    ...(!t || t.providerLabel !== input.provider_label ? ["provider_label"] : []),
    ...moved.map((k) => SNAKE_FIELDS[k] ?? k),
    ...(sameTarget ? creds : credentialChanges(deps, t, input)),
    ...(fallback !== (current?.config.allowHostedFallback ?? false) || !current ? ["allow_hosted_fallback"] : []),
    ...(enable !== (current?.config.enabled ?? false) ? ["enabled"] : []),
  ];
  const needsProbe = enable && (!current?.config.enabled || !sameTarget || creds.length > 0);
  if (input.override_validation && !needsProbe) throw apiError.badRequest("override_validation applies only when activating a bucket or changing an active one");
  if (input.override_validation && principal.role !== "admin") throw apiError.forbidden("only an admin may activate customer storage without a passing probe");
  const override = input.override_validation === true;

  const now = deps.clock.now();
  const targetId = sameTarget ? t.targetId : `cust-${randomUUID()}`;
  const row: TargetRow = {
    targetId, customerId: customer.customerId, providerLabel: input.provider_label, ...place, ...sealedCredentials(deps, targetId, input),
    countrySource: sameTarget ? t.countrySource : countrySource,
    countryDeclaredBy: sameTarget ? t.countryDeclaredBy : countrySource === "declared" ? describePrincipal(principal) : null,
    countryDeclaredAt: sameTarget ? t.countryDeclaredAt : countrySource === "declared" ? now : null,
    createdAt: sameTarget ? t.createdAt : now, updatedAt: now,
  };
  const probe = needsProbe && !override ? await runProbe(deps.config, row) : undefined;
  if (probe && !probe.ok) {
    throw apiError.conflict(`activation needs a passing probe; ${probe.error} (${probe.errorClass}). Fix the bucket or credentials, save with activate: false and validate, or have an admin activate with override_validation: true`);
  }
  const reset = !sameTarget || creds.length > 0;
  await deps.db.transaction(async (tx) => {
    if (!sameTarget) await tx.insert(storageTargets).values(row);
    else if (creds.length || t.providerLabel !== input.provider_label) await tx.update(storageTargets).set({ providerLabel: row.providerLabel, ...(creds.length ? sealedCredentials(deps, targetId, input) : {}), updatedAt: now }).where(eq(storageTargets.targetId, targetId));
    const values = {
      targetId,
      enabled: enable,
      allowHostedFallback: fallback,
      ...(probe ? { status: "healthy" as const, lastErrorClass: null, lastError: null, lastCheckedAt: now, lastSuccessAt: now } : {}),
      ...(!probe && reset ? { status: "unvalidated" as const, lastErrorClass: null, lastError: null, lastCheckedAt: null, lastSuccessAt: null } : {}),
      ...(override ? { activationOverrideBy: describePrincipal(principal) } : reset || !enable ? { activationOverrideBy: null } : {}),
      updatedAt: now,
    };
    await tx.insert(customerStorage).values({ customerId: customer.customerId, ...values, createdAt: now }).onConflictDoUpdate({ target: customerStorage.customerId, set: values });
  });
  forgetStorageConfig(deps, customer.customerId);
  if (sameTarget && creds.length) deps.targets.forget(targetId);
  return { targetId, fieldsChanged, activationOverride: override, ...(probe ? { probe } : {}) };
}

/** New writes go to hosted storage again; objects on the bucket stay readable through their recorded target. */
export async function disableCustomerStorage(deps: Deps, customerId: string): Promise<ChangeResult> {
  const current = await currentStorage(deps.db, customerId);
  if (!current) throw apiError.notFound(`customer ${customerId} has no storage configuration`);
  await deps.db.update(customerStorage).set({ enabled: false, activationOverrideBy: null, updatedAt: deps.clock.now() }).where(eq(customerStorage.customerId, customerId));
  forgetStorageConfig(deps, customerId);
  return { targetId: current.target.targetId, fieldsChanged: current.config.enabled ? ["enabled"] : [], activationOverride: false };
}

export async function validateCustomerStorage(deps: Deps, customerId: string): Promise<ChangeResult & { probe: ProbeResult }> {
  const current = await currentStorage(deps.db, customerId);
  if (!current) throw apiError.notFound(`customer ${customerId} has no storage configuration`);
  const probe = await runProbe(deps.config, current.target);
  await recordProbe(deps, customerId, current.target.targetId, probe);
  return { targetId: current.target.targetId, fieldsChanged: [], activationOverride: false, probe };
}

/**
 * New credentials for the current bucket. They are probed before they replace anything: if
 * the probe fails the old credentials stay (409), unless an admin overrides, which is recorded
 * on the configuration (and the bucket is then marked unhealthy, as the probe said).
 */
export async function rotateCustomerStorage(deps: Deps, customerId: string, input: z.infer<typeof rotateStorageSchema>, principal: Principal): Promise<ChangeResult & { probe: ProbeResult }> {
  const current = await currentStorage(deps.db, customerId);
  if (!current) throw apiError.notFound(`customer ${customerId} has no storage configuration`);
  if (input.override_validation && principal.role !== "admin") throw apiError.forbidden("only an admin may keep credentials whose probe fails");
  const targetId = current.target.targetId;
  const { override_validation: _, override_reason: __, ...creds } = input;
  const fieldsChanged = credentialChanges(deps, current.target, creds);
  const sealed = sealedCredentials(deps, targetId, creds);
  const probe = await runProbe(deps.config, { ...current.target, ...sealed });
  const override = !probe.ok && input.override_validation === true;
  if (!probe.ok && !override) {
    throw apiError.conflict(`the new credentials failed their probe, so the old ones stay in place; ${probe.error} (${probe.errorClass}). Fix the credentials, or have an admin rotate with override_validation: true`);
  }
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await tx.update(storageTargets).set({ ...sealed, updatedAt: now }).where(eq(storageTargets.targetId, targetId));
    await tx.update(customerStorage).set({ credentialsOverrideBy: override ? describePrincipal(principal) : null, updatedAt: now }).where(eq(customerStorage.customerId, customerId));
  });
  deps.targets.forget(targetId);
  await recordProbe(deps, customerId, targetId, probe);
  return { targetId, fieldsChanged, activationOverride: override, probe };
}
