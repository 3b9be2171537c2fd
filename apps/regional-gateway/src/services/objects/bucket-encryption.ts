import { s3Error, type KeyProvider } from "@s3gw/core";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import { deleteBucketSetting, readBucketSetting, writeBucketSetting } from "./bucket-settings.ts";

/** The `bucket_settings` kind of a bucket's default encryption (PutBucketEncryption). */
export const ENCRYPTION_KIND = "encryption";

const BLOCKABLE = ["NONE", "SSE-C"] as const;
type BlockedType = (typeof BLOCKABLE)[number];

/** The stored document. `kmsMasterKeyId` is what the client named (GET echoes it); `keyId` the customer key it resolved to. */
const storedConfig = z.strictObject({
  algorithm: z.enum(["AES256", "aws:kms"]),
  kmsMasterKeyId: z.string().min(1).optional(),
  keyId: z.string().min(1).optional(),
  bucketKeyEnabled: z.boolean(),
  blockedEncryptionTypes: z.array(z.enum(BLOCKABLE)).min(1).optional(),
});
export type BucketEncryptionConfig = z.infer<typeof storedConfig>;

/** A bucket without a configuration: SSE-S3, as S3 answers since every object is encrypted (here too, at rest). */
export const DEFAULT_BUCKET_ENCRYPTION: BucketEncryptionConfig = { algorithm: "AES256", bucketKeyEnabled: false };

/** One `<Rule>` as the XML carried it, before any rule of S3's is applied (the route reads the XML). */
export interface RequestedBucketEncryption {
  /** `ApplyServerSideEncryptionByDefault/SSEAlgorithm`; undefined when the rule has no default (SSE-S3 then). */
  algorithm?: string;
  kmsMasterKeyId?: string;
  bucketKeyEnabled: boolean;
  blockedEncryptionTypes?: string[];
}

/** Resolves a key a client names (id or ARN) to the customer's own key id; another customer's key is unknown. */
export type KeyResolver = Pick<KeyProvider, "resolveKey">;

type SettingsDeps = Pick<Deps, "db" | "cache" | "clock">;

/**
 * Validates a PutBucketEncryption rule as S3 does and resolves its key. Unlike S3 (which does
 * not check the key at configuration time) an unknown key, or another customer's, is refused
 * now: a default that cannot encrypt would fail every later write instead.
 */
export async function validateBucketEncryption(
  keys: KeyResolver, customerId: string, requested: RequestedBucketEncryption, current: BucketEncryptionConfig | null,
): Promise<BucketEncryptionConfig> {
  const { algorithm = "AES256", kmsMasterKeyId } = requested;
  if (algorithm === "aws:kms:dsse" || algorithm === "aws:fsx" || algorithm === "aws:backup") throw s3Error("InvalidArgument", "The encryption method specified is not supported");
  if (algorithm !== "AES256" && algorithm !== "aws:kms") throw s3Error("MalformedXML");
  if (algorithm !== "aws:kms" && kmsMasterKeyId !== undefined) {
    throw s3Error("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse");
  }
  let keyId: string | undefined;
  // KMS.NotFoundException for an unknown or foreign key, KMS.DisabledException for a disabled one.
  if (kmsMasterKeyId !== undefined) keyId = await keys.resolveKey(customerId, kmsMasterKeyId);
  const blocked = blockedTypes(requested.blockedEncryptionTypes) ?? current?.blockedEncryptionTypes;
  return storedConfig.parse({
    algorithm,
    ...(kmsMasterKeyId === undefined ? {} : { kmsMasterKeyId, keyId }),
    bucketKeyEnabled: requested.bucketKeyEnabled,
    ...(blocked ? { blockedEncryptionTypes: blocked } : {}),
  });
}

/** `BlockedEncryptionTypes`: NONE or SSE-C, not both; absent leaves the bucket's block as it was (as S3 does). */
function blockedTypes(types: string[] | undefined): BlockedType[] | undefined {
  if (types === undefined) return undefined;
  const valid = [...new Set(types)];
  if (valid.length !== 1 || !BLOCKABLE.includes(valid[0] as BlockedType)) throw s3Error("MalformedXML", "EncryptionType must be exactly one of NONE or SSE-C");
  return valid as BlockedType[];
}

export async function putBucketEncryption(deps: SettingsDeps & { keys: KeyResolver }, bucket: Bucket, requested: RequestedBucketEncryption): Promise<BucketEncryptionConfig> {
  const config = await validateBucketEncryption(deps.keys, bucket.customerId, requested, await storedEncryption(deps, bucket));
  await writeBucketSetting(deps, bucket, ENCRYPTION_KIND, config);
  return config;
}

/** The configuration GetBucketEncryption answers: the stored one, else SSE-S3. */
export async function getBucketEncryption(deps: SettingsDeps, bucket: Bucket): Promise<BucketEncryptionConfig> {
  return (await storedEncryption(deps, bucket)) ?? DEFAULT_BUCKET_ENCRYPTION;
}

/** DeleteBucketEncryption returns the bucket to SSE-S3 (its SSE-C block included); true if there was a configuration. */
export function deleteBucketEncryption(deps: SettingsDeps, bucket: Bucket): Promise<boolean> {
  return deleteBucketSetting(deps, bucket, ENCRYPTION_KIND);
}

/** What a write without SSE headers gets; `blocksSseC` tells writes naming SSE-C to answer S3's 403. */
export interface BucketDefaultEncryption {
  mode: "AES256" | "aws:kms";
  /** The customer key (aws:kms); undefined for the customer's default key. */
  keyId?: string;
  bucketKeyEnabled: boolean;
  blocksSseC: boolean;
  /** Whether the bucket has a configuration of its own (else this is the SSE-S3 default). */
  configured: boolean;
}

/**
 * The bucket's default for writes that name no encryption. Read through the instance's
 * bucket-settings cache (absence included), so a PutObject costs no query for it.
 */
export async function bucketDefaultEncryption(deps: SettingsDeps, bucket: Bucket): Promise<BucketDefaultEncryption> {
  const stored = await storedEncryption(deps, bucket);
  const config = stored ?? DEFAULT_BUCKET_ENCRYPTION;
  return {
    configured: stored !== null,
    mode: config.algorithm,
    ...(config.keyId === undefined ? {} : { keyId: config.keyId }),
    bucketKeyEnabled: config.bucketKeyEnabled,
    blocksSseC: config.blockedEncryptionTypes?.includes("SSE-C") ?? false,
  };
}

async function storedEncryption(deps: SettingsDeps, bucket: Bucket): Promise<BucketEncryptionConfig | null> {
  const doc = await readBucketSetting(deps, bucket, ENCRYPTION_KIND);
  // Written only by putBucketEncryption; a document that does not parse is damage, not input.
  return doc === null ? null : storedConfig.parse(doc);
}
